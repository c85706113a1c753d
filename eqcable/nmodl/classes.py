"""The class part of the generated source: fields, declarations and methods."""

from .description import NEURON_SPECIES, ModFile
from .emit import (
    Context,
    declared_locals,
    locals_line,
    python_name,
    solve_of,
    statement,
    statements,
)


def class_lines(mod: ModFile, names, blocks, linearisation: str, solves: list) -> list[str]:
    """The lines of the class definition."""
    point = mod.kind == "point"
    base = "AbstractSynapse" if point else "AbstractChannel"
    states = [n for n in mod.states if n not in mod.ion_names()]
    carried = {names.carried_state(n, mod): n for n in blocks.carried}
    state_names = states + list(carried)
    units = {n: mod.states[n].unit for n in states if mod.states[n].unit}
    units |= {c: _unit_of(mod, n) for c, n in carried.items() if _unit_of(mod, n)}
    reads, writes = _ion_use(mod)
    lines = [f"class {mod.name}({base}):", f'    """{_doc(mod, names, linearisation)}"""', ""]
    for p, field in names.fields.items():
        if p == names.weight:
            lines.append(
                f'    {field}: ArrayLike = parameter(0.001, "{_weight_unit(mod)}", ge=0.0)'
            )
            continue
        var = mod.parameters[p]
        bounds = "" if var.limits is None else f", ge={var.limits[0]!r}, le={var.limits[1]!r}"
        lines.append(
            f'    {field}: ArrayLike = parameter({var.default!r}, "{var.unit or "1"}"{bounds})'
        )
    if point:
        lines.append('    threshold: ArrayLike = parameter(10.0, "mV")')
    lines += [
        f"    state_names: ClassVar[tuple[str, ...]] = {tuple(state_names)!r}",
        f"    state_units: ClassVar[dict[str, str]] = {units!r}",
    ]
    if point:
        lines += [
            "    event_driven: ClassVar[bool] = True",
            '    nondifferentiable_params: ClassVar[tuple[str, ...]] = ("threshold",)',
            "    initialise_each_run: ClassVar[bool] = True",
            "    max_events_per_step: ClassVar[int] = 1",
        ]
    else:
        species = {i.species: i.valence for i in mod.ions if i.species not in NEURON_SPECIES}
        lines += [
            f"    ion_reads: ClassVar[tuple[str, ...]] = {tuple(reads)!r}",
            f"    ion_writes: ClassVar[tuple[str, ...]] = {tuple(writes)!r}",
            f"    reads_celsius: ClassVar[bool] = {'celsius' in blocks.current_reads!r}",
        ]
        if species:
            entries = ", ".join(
                f'"{s}": Ion(valence={int(z) if z else 1}, ci=1.0, co=1.0, e=0.0)'
                for s, z in species.items()
            )
            lines.append(f"    ion_species: ClassVar[dict[str, Ion]] = {{{entries}}}")
    lines += ["", *_variables(mod, names, states, carried)]
    initial = _block_lines(mod, mod.initial, "INITIAL")
    ret = _returns(mod, states, carried, point)
    if point:
        lines += [
            "",
            "    def init_states(self):",
            '        """INITIAL"""',
            "        s = self._variables({})",
        ]
        lines += initial + [f"        return {ret}"]
        lines += _synapse_methods(mod, names, solves, ret)
    else:
        lines += ["", "    def steady_state(self, v, celsius, ions=None):", '        """INITIAL"""']
        lines += (
            ["        s = self._variables(ions or {}, v=v, celsius=celsius)"]
            + initial
            + [f"        return {ret}"]
        )
        lines += [
            "",
            "    def step(self, states, v, dt, celsius):",
            '        """The SOLVEs of BREAKPOINT"""',
        ]
        lines += ["        s = self._variables(states, v=v, dt=dt, celsius=celsius)", *solves]
        lines += [f"        return {_returns(mod, states, carried, point, concentrations=True)}"]
        lines += _current_methods(mod, writes)
    if linearisation == "neuron":
        args = "states, pre, v_post" if point else "states, v"
        call = "self.current(states, pre, x)" if point else "self.current(states, x)"
        lines += [
            "",
            f"    def linearise(self, {args}):",
            '        """NEURON\'s slope: (i(v + 0.001) − i(v)) / 0.001."""',
            f"        return neuron_slope(lambda x: {call}, {args.split(', ')[-1]})",
        ]
    return lines


def _unit_of(mod, name):
    var = mod.assigned.get(name) or mod.parameters.get(name)
    return var.unit if var else ""


def _weight_unit(mod):
    unit = getattr(mod.net_receive.parameters[0], "unit", None)
    return unit.name.value.strip() if unit is not None else "1"


def _ion_use(mod: ModFile):
    reads, writes = [], []
    for ion in mod.ions:
        writes += ion.writes
        reads += [q for q in ion.reads if q not in ion.writes]
    return list(dict.fromkeys(reads)), list(dict.fromkeys(writes))


def _doc(mod: ModFile, names, linearisation: str) -> str:
    kind = "synapse (POINT_PROCESS)" if mod.kind == "point" else "channel (SUFFIX)"
    lines = [f"{mod.name}: the {kind} of an NMODL file, imported by eqcable.read_nmodl.", ""]
    lines.append("    Parameters (NMODL's units):")
    for p, field in names.fields.items():
        if p == names.weight:
            lines.append(
                f"    - `{field}`: the NetCon weight of NET_RECEIVE ({_weight_unit(mod)})."
            )
        else:
            var = mod.parameters[p]
            lines.append(f"    - `{field}`: {var.default!r} ({var.unit or '1'}).")
    if mod.kind == "point":
        lines.append("    - `threshold`: the presynaptic spike threshold (mV), NetCon's 10.")
    rule = "NEURON's (i(v+0.001) − i(v))/0.001" if linearisation == "neuron" else "the exact di/dv"
    lines += ["", f"    Linearised in v by {rule}.", "    "]
    return "\n".join(lines)


def _variables(mod: ModFile, names, states, carried) -> list[str]:
    values = {python_name(p): f"self.{f}" for p, f in names.fields.items()}
    for n in (*mod.assigned, *mod.nonspecific, *states, *mod.ion_names()):
        values.setdefault(python_name(n), "0.0")
    values = [f'"{k}": {x}' for k, x in values.items()]
    lines = [
        "    def _variables(self, states, **supplied):",
        '        """The environment: parameters, assigned variables (0), states and ion',
        '        quantities (from `states`), v, celsius and dt (`supplied`)."""',
        "        values = {" + ", ".join(values) + "}",
        "        values.update({k: x for k, x in states.items() if k in values})",
    ]
    for state, name in carried.items():
        if state != name:
            key = python_name(name)
            lines.append(f'        values["{key}"] = states.get("{state}", values["{key}"])')
    lines += ["        values.update(supplied)", "        return variables(values)"]
    return lines


def _returns(mod, states, carried, point, concentrations=False) -> str:
    items = [f'"{n}": s.{python_name(n)}' for n in states]
    items += [f'"{c}": s.{python_name(n)}' for c, n in carried.items()]
    if concentrations:
        items += [
            f'"{q}": s.{python_name(q)}'
            for i in mod.ions
            for q in i.writes
            if not q.startswith("i")
        ]
    return "{" + ", ".join(items) + "}"


def _block_lines(mod, block, title) -> list[str]:
    if block is None:
        return []
    local = declared_locals(block.statement_block)
    ctx = Context(mod, set(local), block=title)
    return locals_line(local, "        ") + statements(block.statement_block, ctx, "        ")


def _breakpoint_lines(mod) -> list[str]:
    if mod.breakpoint is None:
        return []
    block = mod.breakpoint.statement_block
    kept = [st for st in block.statements if solve_of(st) is None]
    local = declared_locals(block)
    ctx = Context(mod, set(local), block="BREAKPOINT")
    lines = locals_line(local, "        ")
    for st in kept:
        lines += statement(st, ctx, "        ")
    return lines


def _current_methods(mod: ModFile, writes) -> list[str]:
    currents = [q for q in writes if q.startswith("i")] + list(mod.nonspecific)
    ion_currents = [q for q in writes if q.startswith("i")]
    total = " + ".join(f"s.{python_name(q)}" for q in currents) or "0.0 * s.v"
    lines = [
        "",
        "    def _breakpoint(self, states, v):",
        '        """BREAKPOINT, but its SOLVEs"""',
    ]
    lines += ['        s = self._variables(states, v=v, celsius=states.get("celsius"))']
    lines += _breakpoint_lines(mod) + ["        return s"]
    lines += [
        "",
        "    def current(self, states, v):",
        "        s = self._breakpoint(states, v)",
        f"        return {total}",
    ]
    items = ", ".join(f'"{q}": s.{python_name(q)}' for q in ion_currents)
    lines += [
        "",
        "    def ion_currents(self, states, v):",
        "        s = self._breakpoint(states, v)",
        f"        return {{{items}}}",
    ]
    return lines


def _synapse_methods(mod: ModFile, names, solves, ret) -> list[str]:
    if mod.ions:
        raise mod.error(
            "USEION in a POINT_PROCESS is not supported by read_nmodl.", needle="USEION"
        )
    local = declared_locals(mod.net_receive.statement_block)
    lines = [
        "",
        "    def step(self, states, pre, v_post, dt):",
        '        """NET_RECEIVE, once per arriving event (`pre`: their number this step)"""',
    ]
    lines += ["        s = self._variables(states, v=v_post, dt=dt)"]
    lines += ["        c = pre > 0", "        s_a, s_b = fork(s, c)"]
    ctx = Context(mod, set(local), env="s_a", block="NET_RECEIVE")
    lines += locals_line(local, "        ", env="s_a")
    lines += statements(mod.net_receive.statement_block, ctx, "        ")
    lines += ["        join(s, c, s_a, s_b)", f"        return {ret}"]
    lines += [
        "",
        "    def advance(self, states, v_post, dt):",
        '        """The SOLVEs of BREAKPOINT, after the voltage step"""',
    ]
    lines += [
        "        s = self._variables(states, v=v_post, dt=dt)",
        *solves,
        f"        return {ret}",
    ]
    current = " + ".join(f"s.{python_name(q)}" for q in mod.nonspecific) or "0.0 * s.v"
    lines += [
        "",
        "    def current(self, states, pre, v_post):",
        "        s = self._variables(states, v=v_post)",
    ]
    lines += _breakpoint_lines(mod) + [f"        return {current}"]
    return lines
