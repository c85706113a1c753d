"""Parse an NMODL file with NEURON's NMODL framework into a `ModFile`."""

import re

from .description import (
    BUILTIN_CONSTANTS,
    KEYWORDS,
    SUPPLIED,
    SUPPORTED_NODES,
    UNIT_FACTORS,
    UNSUPPLIED,
    UNSUPPORTED_CALLS,
    Ion,
    ModFile,
    NmodlError,
    Variable,
    children,
    name_of,
    number,
    unit_of,
)


def parse_text(text: str, source: str):
    """The AST of NMODL `text`.

    **Raises:** `NmodlError` with the parser's message (which gives the line) if the text
    is not NMODL; `ImportError` if NEURON's NMODL framework is not installed.
    """
    try:
        from neuron.nmodl import dsl
    except ImportError as e:
        raise ImportError(
            "read_nmodl needs NEURON's NMODL framework (NEURON >= 9): pip install 'eqcable[nmodl]'."
        ) from e
    try:
        return dsl.NmodlDriver().parse_string(text)
    except RuntimeError as e:
        raise NmodlError(f"{source}: the NMODL parser rejects the file: {e}") from None


def _check_supported(mod: ModFile, node) -> None:
    kind = node.get_node_type_name()
    if kind not in SUPPORTED_NODES:
        keyword = KEYWORDS.get(kind, kind)
        raise mod.error(f"{keyword} ({kind}) is not supported by read_nmodl.", needle=keyword)
    if kind == "FunctionCall" and name_of(node) in UNSUPPORTED_CALLS:
        name = name_of(node)
        raise mod.error(f"{name}() is not supported by read_nmodl.", needle=name + "(")
    if kind == "Suffix" and name_of(node.type) not in ("SUFFIX", "POINT_PROCESS"):
        raise mod.error(
            f"{name_of(node.type)} is not supported by read_nmodl.", needle=name_of(node.type)
        )
    if (
        kind in ("AssignedDefinition",)
        and node.length is not None
        or kind == "VarName"
        and node.index is not None
    ):
        raise mod.error("array variables are not supported by read_nmodl.", node=node)
    if kind == "NetReceiveBlock" and len(node.parameters) != 1:
        raise mod.error(
            "NET_RECEIVE must take exactly one argument (the weight) for read_nmodl.",
            needle="NET_RECEIVE",
        )
    for child in children(node):
        _check_supported(mod, child)


def describe(text: str, source: str = "<string>") -> ModFile:
    """Parse NMODL `text` (`source`: its file name, for messages) into a `ModFile`.

    **Raises:** `NmodlError` for a file the parser rejects or a construct read_nmodl does
    not support (naming the file, line and construct).
    """
    program = parse_text(text, source)
    mod = ModFile(source, text, "", "", [], [], {}, {}, {}, dict(BUILTIN_CONSTANTS))
    _check_supported(mod, program)
    declared: dict[str, Variable] = {}
    for block in program.blocks:
        kind = block.get_node_type_name()
        if kind == "NeuronBlock":
            _neuron_block(mod, block)
        elif kind == "UnitBlock":
            for d in block.definitions:
                if d.get_node_type_name() == "FactorDef":
                    mod.constants[name_of(d)] = _factor(mod, d)
        elif kind == "ConstantBlock":
            for st in block.statements:
                mod.constants[name_of(st.constant)] = number(st.constant.value)
        elif kind == "ParamBlock":
            for st in block.statements:
                limits = None
                if st.limit is not None:
                    limits = (number(st.limit.min), number(st.limit.max))
                value = 0.0 if st.value is None else number(st.value)
                var = Variable(name_of(st), unit_of(st), value, limits)
                mod.parameters[var.name] = declared[var.name] = var
        elif kind == "StateBlock":
            for d in block.definitions:
                mod.states[name_of(d)] = declared[name_of(d)] = Variable(name_of(d), unit_of(d))
        elif kind == "AssignedBlock":
            for d in block.definitions:
                mod.assigned[name_of(d)] = declared[name_of(d)] = Variable(name_of(d), unit_of(d))
        elif kind == "InitialBlock":
            mod.initial = block
        elif kind == "BreakpointBlock":
            mod.breakpoint = block
        elif kind == "DerivativeBlock":
            mod.derivatives[name_of(block)] = block
        elif kind == "KineticBlock":
            mod.kinetics[name_of(block)] = block
        elif kind == "ProcedureBlock":
            mod.procedures[name_of(block)] = block
        elif kind == "FunctionBlock":
            mod.functions[name_of(block)] = block
        elif kind == "NetReceiveBlock":
            mod.net_receive = block
        elif kind == "LocalListStatement":  # file-level LOCAL: variables of the mechanism
            for var in block.variables:
                mod.assigned[name_of(var)] = Variable(name_of(var))
    _sort_variables(mod)
    if not mod.name:
        raise mod.error("no SUFFIX or POINT_PROCESS in the NEURON block.", needle="NEURON")
    if mod.kind == "point" and mod.net_receive is None:
        raise mod.error(
            f"POINT_PROCESS {mod.name} has no NET_RECEIVE block: read_nmodl imports point "
            "processes as event-driven synapses (connected with Network.connect).",
            needle="POINT_PROCESS",
        )
    if mod.kind == "density" and mod.net_receive is not None:
        raise mod.error("NET_RECEIVE in a density mechanism (SUFFIX).", needle="NET_RECEIVE")
    return mod


def _neuron_block(mod: ModFile, block) -> None:
    for st in block.statement_block.statements:
        kind = st.get_node_type_name()
        if kind == "Suffix":
            mod.kind = "density" if name_of(st.type) == "SUFFIX" else "point"
            mod.name = name_of(st)
        elif kind == "Useion":
            valence = None if st.valence is None else number(st.valence.value)
            mod.ions.append(
                Ion(
                    name_of(st),
                    [name_of(r) for r in st.readlist],
                    [name_of(w) for w in st.writelist],
                    valence,
                )
            )
        elif kind == "Nonspecific":
            mod.nonspecific.extend(name_of(c) for c in st.currents)


def _factor(mod: ModFile, d) -> float:
    if d.value is not None:
        return number(d.value)
    key = (d.unit1.name.value.strip(), d.unit2.name.value.strip())
    if key not in UNIT_FACTORS:
        raise mod.error(
            f"the unit factor {name_of(d)} = ({key[0]}) ({key[1]}) is not known to read_nmodl.",
            node=d,
        )
    return UNIT_FACTORS[key]


def _sort_variables(mod: ModFile) -> None:
    """Take NEURON's own variables (v, celsius, …) and ion quantities out of the
    PARAMETER and ASSIGNED lists: they are supplied, not the mechanism's."""
    ion_names = set(mod.ion_names())
    for table in (mod.parameters, mod.assigned):
        for name in list(table):
            if name in SUPPLIED or name in UNSUPPLIED or name in ion_names:
                del table[name]
    for name in mod.states:
        if name in ion_names and not any(name in ion.writes for ion in mod.ions):
            raise mod.error(
                f"the STATE {name} is an ion quantity the mechanism does not WRITE.", needle=name
            )
    for name in (*mod.parameters, *mod.states, *mod.assigned):
        if not re.fullmatch(r"[A-Za-z]\w*", name):
            raise mod.error(f"the variable name {name!r} is not supported.", needle=name)
