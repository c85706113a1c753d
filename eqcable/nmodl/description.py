"""An NMODL file, parsed by NEURON's NMODL framework and described: its kind, names,
variables and blocks, with every construct that eqcable does not translate refused by
name, file and line."""

import dataclasses
import math
import re

#: Variables NEURON provides to every mechanism; the ones eqcable supplies are ``v`` (mV),
#: ``celsius`` (°C) and ``dt`` (ms).
SUPPLIED = ("v", "celsius", "dt")
#: NEURON's own ion species (others are declared by the imported class).
NEURON_SPECIES = ("na", "k", "ca")
UNSUPPLIED = ("t", "diam", "area")

#: NMODL's built-in constants.
BUILTIN_CONSTANTS = {"PI": math.pi, "FARADAY": 96485.33212331001, "R": 8.31446261815324}

#: Unit factors of ``NAME = (unit) (unit)`` definitions, as NEURON's units database (2019
#: SI constants) gives them.
UNIT_FACTORS = {
    ("faraday", "coulomb"): 96485.33212331001,
    ("faraday", "coulombs"): 96485.33212331001,
    ("faraday", "kilocoulombs"): 96.48533212331001,
    ("faraday", "kilocoulomb"): 96.48533212331001,
    ("k-mole", "joule/degC"): 8.31446261815324,
    ("k-mole", "joule/degK"): 8.31446261815324,
    ("pi", "1"): math.pi,
    ("e", "coulomb"): 1.602176634e-19,
    ("k", "joule/degC"): 1.380649e-23,
    ("k", "joule/degK"): 1.380649e-23,
}

METHODS = ("cnexp", "derivimplicit", "euler")
#: How KINETIC schemes are integrated (NEURON's ``sparse``: backward Euler, Newton).
KINETIC_METHODS = ("sparse",)

# Node types the translation understands; anything else is refused by name.
SUPPORTED_NODES = {
    "Program", "Model", "BlockComment", "LineComment", "String", "Name", "Integer", "Double",
    "Boolean", "UnitBlock", "UnitDef", "FactorDef", "Unit", "UnitState", "NeuronBlock",
    "StatementBlock", "Suffix", "Useion", "ReadIonVar", "WriteIonVar", "Valence",
    "Nonspecific", "NonspecificCurVar", "Range", "RangeVar", "Global", "GlobalVar",
    "ThreadSafe", "ParamBlock", "ParamAssign", "Limits", "StateBlock", "AssignedBlock",
    "AssignedDefinition", "ConstantBlock", "ConstantStatement", "ConstantVar",
    "IndependentBlock", "BreakpointBlock", "InitialBlock", "DerivativeBlock",
    "ProcedureBlock", "FunctionBlock", "NetReceiveBlock", "Argument", "LocalListStatement",
    "LocalVar", "ExpressionStatement", "BinaryExpression", "BinaryOperator",
    "UnaryExpression", "UnaryOperator", "ParenExpression", "WrappedExpression", "VarName",
    "PrimeName", "FunctionCall", "IfStatement", "ElseIfStatement", "ElseStatement",
    "DiffEqExpression", "SolveBlock", "TableStatement", "DoubleUnit", "Define", "KineticBlock",
    "ReactionStatement", "ReactVarName", "ReactionOperator", "Conserve",
}  # fmt: skip

# How to find an unsupported construct in the source, where its own text does not do.
KEYWORDS = {
    "Verbatim": "VERBATIM", "Watch": "WATCH", "WatchStatement": "WATCH", "Pointer": "POINTER",
    "PointerVar": "POINTER", "BbcorePointer": "BBCOREPOINTER", "BeforeBlock": "BEFORE",
    "AfterBlock": "AFTER", "LinearBlock": "LINEAR", "NonLinearBlock": "NONLINEAR",
    "FunctionTableBlock": "FUNCTION_TABLE", "ElectrodeCurrent": "ELECTRODE_CURRENT",
    "External": "EXTERNAL", "ForNetcon": "FOR_NETCONS", "ConstructorBlock": "CONSTRUCTOR",
    "DestructorBlock": "DESTRUCTOR", "DiscreteBlock": "DISCRETE", "Compartment": "COMPARTMENT",
    "LonDiffuse": "LONGITUDINAL_DIFFUSION", "LagStatement": "LAG", "FromStatement": "FROM",
    "WhileStatement": "WHILE", "ProtectStatement": "PROTECT", "MutexLock": "MUTEXLOCK",
    "LineComment": ":", "Random": "RANDOM", "RandomVar": "RANDOM",
}  # fmt: skip

# Calls with side effects eqcable has no counterpart of.
UNSUPPORTED_CALLS = (
    "net_send", "net_event", "net_move", "at_time", "state_discontinuity", "scop_random",
    "normrand", "exprand", "random_negexp", "random_normal", "random_uniform", "nrn_random_pick",
    "set_seed", "printf", "fprintf", "hoc_reg_nmodl_text",
)  # fmt: skip


class NmodlError(ValueError):
    """An NMODL file eqcable cannot translate: a construct it does not support, or a file
    the NMODL parser rejects. The message names the file, the line and the construct."""


@dataclasses.dataclass
class Variable:
    """A declared variable: `unit` (as written, ``""`` if none), `default` (PARAMETERs),
    `limits` (``(lo, hi)`` of a PARAMETER's ``<lo, hi>``)."""

    name: str
    unit: str = ""
    default: float = 0.0
    limits: tuple[float, float] | None = None


@dataclasses.dataclass
class Ion:
    """A ``USEION`` statement."""

    species: str
    reads: list[str]
    writes: list[str]
    valence: float | None


@dataclasses.dataclass
class ModFile:
    """What an NMODL file declares and defines."""

    source: str  # the file name, or "<string>", for messages
    text: str
    kind: str  # "density" (SUFFIX) or "point" (POINT_PROCESS)
    name: str
    ions: list[Ion]
    nonspecific: list[str]
    parameters: dict[str, Variable]
    states: dict[str, Variable]
    assigned: dict[str, Variable]
    constants: dict[str, float]
    initial: object = None
    breakpoint: object = None
    derivatives: dict = dataclasses.field(default_factory=dict)
    kinetics: dict = dataclasses.field(default_factory=dict)
    procedures: dict = dataclasses.field(default_factory=dict)
    functions: dict = dataclasses.field(default_factory=dict)
    net_receive: object = None

    def error(self, what: str, needle: str | None = None, node=None) -> NmodlError:
        """An `NmodlError` about `what`, located at `node` or the first line containing
        `needle`."""
        return NmodlError(f"{self.source}{self.where(needle, node)}: {what}")

    def where(self, needle: str | None = None, node=None) -> str:
        """``", line N"`` of `node` or `needle` in the text ("" if not found)."""
        if node is not None:
            from neuron.nmodl import dsl

            needle = dsl.to_nmodl(node).strip().splitlines()[0]
        if not needle:
            return ""
        squeeze = re.sub(r"\s+", "", needle)
        word = re.compile(rf"(?<!\w){re.escape(needle)}(?!\w)") if needle.isidentifier() else None
        in_comment = False
        for k, line in enumerate(self.text.splitlines(), start=1):
            if line.strip().startswith(("COMMENT", "ENDCOMMENT")):
                in_comment = line.strip().startswith("COMMENT")
                continue
            if in_comment:
                continue
            code = line.split(":", 1)[0] if not needle.startswith(":") else line
            found = word.search(code) if word else squeeze and squeeze in re.sub(r"\s+", "", code)
            if found:
                return f", line {k}"
        return ""

    def ion_names(self) -> list[str]:
        """Every ion quantity the mechanism reads or writes."""
        return [q for ion in self.ions for q in (*ion.reads, *ion.writes)]


def children(node):
    """The child nodes of an AST node."""
    out = []
    for attr in dir(node):
        if attr.startswith("_") or attr in ("parent",):
            continue
        try:
            value = getattr(node, attr)
        except Exception:  # noqa: BLE001 (pybind accessors of absent optionals)
            continue
        if callable(value):
            continue
        for v in value if isinstance(value, list) else [value]:
            if hasattr(v, "get_node_type_name"):
                out.append(v)
    return out


def name_of(node) -> str:
    """The identifier a node names."""
    return node.get_node_name()


def number(node) -> float:
    from neuron.nmodl import dsl

    return float(re.sub(r"\s+", "", dsl.to_nmodl(node)))


def unit_of(node) -> str:
    """The unit a declaration gives (``""`` if none)."""
    unit = getattr(node, "unit", None)
    return "" if unit is None else unit.name.value.strip()
