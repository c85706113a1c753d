"""Python source for NMODL expressions and statements (see `eqcable.nmodl.runtime` for
what the source calls)."""

import dataclasses
import keyword

from .description import UNSUPPLIED, ModFile, name_of

#: NMODL's math functions, by the names `eqcable.nmodl.runtime` gives them.
MATH = (
    "exp", "log", "log10", "fabs", "sqrt", "sin", "cos", "tan", "asin", "acos", "atan",
    "atan2", "sinh", "cosh", "tanh", "floor", "ceil", "fmod", "pow", "fmin", "fmax", "erf",
    "erfc",
)  # fmt: skip
_OPS = {"+": 1, "-": 1, "*": 2, "/": 2, "^": 4}
_COMPARE = ("<", ">", "<=", ">=", "==", "!=")


def python_name(name: str) -> str:
    """A Python identifier for an NMODL name (keywords get a trailing underscore)."""
    return name + "_" if keyword.iskeyword(name) or name in _RESERVED else name


# Names the generated module defines itself.
_RESERVED = {*MATH, "jax", "jnp", "Env", "Layer", "local", "fork", "join", "cnexp", "euler",
             "derivimplicit", "neuron_slope", "parameter", "AbstractChannel",
             "AbstractSynapse", "ClassVar", "ArrayLike", "Ion", "s", "self"}  # fmt: skip


@dataclasses.dataclass
class Context:
    """Where a statement is emitted: the file, the names that are locals here, the
    variable holding the environment (``s``, ``s_1``, …), and how diff. equations are
    written (``"cnexp"``, ``"derivative"``: as ``s["m'"] = …``, or None: refused)."""

    mod: ModFile
    locals: set
    env: str = "s"
    diffeq: str | None = None
    counter: list = dataclasses.field(default_factory=lambda: [0])
    block: str = ""

    def fresh(self, prefix: str) -> str:
        self.counter[0] += 1
        return f"{prefix}_{self.counter[0]}"


def expression(node, ctx: Context, parent_precedence: int = 0) -> str:
    """The Python expression of an NMODL expression node."""
    kind = node.get_node_type_name()
    if kind in ("WrappedExpression", "ParenExpression"):
        return expression(node.expression, ctx, parent_precedence)
    if kind in ("Double", "Integer"):
        return _literal(node)
    if kind == "DoubleUnit":
        return expression(node.value, ctx, parent_precedence)
    if kind == "VarName" and node.name.get_node_type_name() == "PrimeName":
        return expression(node.name, ctx, parent_precedence)
    if kind in ("VarName", "Name"):
        return variable(name_of(node), ctx, node)
    if kind == "PrimeName":
        return f'{ctx.env}["{node.value.eval()}\'"]'
    if kind == "UnaryExpression":
        op = node.op.eval()
        inner = expression(node.expression, ctx, 3)
        text = f"jnp.logical_not({inner})" if op == "!" else f"-{inner}"
        return f"({text})" if parent_precedence > 3 else text
    if kind == "BinaryExpression":
        return _binary(node, ctx, parent_precedence)
    if kind == "FunctionCall":
        return call(node, ctx)
    raise ctx.mod.error(f"the expression {kind} is not supported by read_nmodl.", node=node)


def _literal(node) -> str:
    text = str(node.value) if node.get_node_type_name() == "Integer" else node.value
    value = float(text)
    return (
        repr(int(value))
        if value.is_integer() and abs(value) < 1e15 and "e" not in text.lower()
        else repr(value)
    )


def _binary(node, ctx: Context, parent_precedence: int) -> str:
    op = node.op.eval()
    if op in ("&&", "||"):
        fn = "jnp.logical_and" if op == "&&" else "jnp.logical_or"
        return f"{fn}({expression(node.lhs, ctx)}, {expression(node.rhs, ctx)})"
    if op in _COMPARE:
        return f"({expression(node.lhs, ctx, 1)} {op} {expression(node.rhs, ctx, 1)})"
    if op not in _OPS:
        raise ctx.mod.error(f"the operator {op!r} is not supported here.", node=node)
    p = _OPS[op]
    if op == "^":  # right-associative, binds tighter than unary minus
        text = f"{expression(node.lhs, ctx, p + 1)} ** {expression(node.rhs, ctx, p)}"
    else:
        text = f"{expression(node.lhs, ctx, p)} {op} {expression(node.rhs, ctx, p + 1)}"
    return f"({text})" if p < parent_precedence else text


def variable(name: str, ctx: Context, node=None) -> str:
    """How the generated code reads variable `name`."""
    mod = ctx.mod
    if name in ctx.locals:
        return f"{ctx.env}.{name}"
    if name in UNSUPPLIED:
        raise mod.error(f"{name} is not available to mechanisms imported by read_nmodl.", node=node)
    if name in mod.constants and name not in _globals(mod):
        return f"C_{name}"
    if name in _globals(mod) or name in ("v", "celsius", "dt"):
        return f"{ctx.env}.{name}"
    raise mod.error(f"the variable {name} is not declared.", node=node)


def _globals(mod: ModFile) -> set:
    weight = {name_of(p) for p in mod.net_receive.parameters} if mod.net_receive else set()
    return {
        *mod.parameters,
        *mod.states,
        *mod.assigned,
        *mod.ion_names(),
        *mod.nonspecific,
        *weight,
    }


def call(node, ctx: Context) -> str:
    """A call of a FUNCTION (with the environment) or a math function."""
    name = name_of(node)
    args = [expression(a, ctx) for a in node.arguments]
    if name in ctx.mod.functions or name in ctx.mod.procedures:
        return f"{python_name(name)}({', '.join([ctx.env, *args])})"
    if name in MATH:
        return f"{name}({', '.join(args)})"
    raise ctx.mod.error(f"the function {name}() is not defined (nor one of NMODL's).", node=node)


def statements(block, ctx: Context, indent: str) -> list[str]:
    """The lines of a statement block."""
    lines = []
    for st in block.statements:
        lines.extend(statement(st, ctx, indent))
    return lines


def statement(st, ctx: Context, indent: str) -> list[str]:
    """The lines of one statement."""
    kind = st.get_node_type_name()
    if kind in ("LocalListStatement", "UnitState", "LineComment", "BlockComment"):
        return []  # locals are declared where the block starts
    if kind == "TableStatement":
        return [f"{indent}# TABLE: evaluated exactly instead of tabulated"]
    if kind == "IfStatement":
        return _if(st, ctx, indent)
    if kind == "ReactionStatement" and ctx.diffeq == "kinetic":
        return _reaction(st, ctx, indent)
    if kind == "Conserve" and ctx.diffeq == "kinetic":
        return []  # in the block's `_conserve` function
    if kind != "ExpressionStatement":
        raise ctx.mod.error(f"the statement {kind} is not supported here.", node=st)
    expr = st.expression
    while expr.get_node_type_name() == "WrappedExpression":
        expr = expr.expression
    ekind = expr.get_node_type_name()
    if ekind == "DiffEqExpression":
        return _diffeq(expr.expression, ctx, indent)
    if ekind == "FunctionCall":
        return [f"{indent}{call(expr, ctx)}"]
    if ekind == "SolveBlock":
        if ctx.block == "INITIAL" and expr.steadystate is not None:
            return [indent + steady_state(ctx.mod, expr, ctx.env)]
        raise ctx.mod.error(
            "SOLVE here is not supported (only in BREAKPOINT, or STEADYSTATE in INITIAL).", node=st
        )
    if ekind == "BinaryExpression" and expr.op.eval() == "=":
        target = name_of(expr.lhs)
        return [f"{indent}{variable(target, ctx, expr)} = {expression(expr.rhs, ctx)}"]
    raise ctx.mod.error(f"the statement {ekind} is not supported here.", node=st)


def primed_state(lhs) -> str | None:
    """The state of the left side ``x'`` of a differential equation."""
    node = lhs.name if lhs.get_node_type_name() == "VarName" else lhs
    return node.value.eval() if node.get_node_type_name() == "PrimeName" else None


def _diffeq(eq, ctx: Context, indent: str) -> list[str]:
    state = primed_state(eq.lhs)
    if state is None or state not in ctx.mod.states:
        raise ctx.mod.error("a differential equation must be for a STATE.", node=eq)
    if ctx.diffeq == "cnexp":
        inner = dataclasses.replace(ctx, env="s")
        rhs = expression(eq.rhs, inner)
        env = ctx.env
        return [f'{indent}{env}.{state} = cnexp({env}, "{state}", lambda s: {rhs}, {env}.dt)']
    if ctx.diffeq == "derivative":
        return [f'{indent}{ctx.env}["{state}\'"] = {expression(eq.rhs, ctx)}']
    raise ctx.mod.error(
        f"a differential equation outside a DERIVATIVE block ({ctx.block}).", node=eq
    )


def _if(st, ctx: Context, indent: str) -> list[str]:
    cond = ctx.fresh("c")
    a, b = ctx.fresh("s"), ctx.fresh("s")
    lines = [
        f"{indent}{cond} = {expression(st.condition, ctx)}",
        f"{indent}{a}, {b} = fork({ctx.env}, {cond})",
    ]
    lines += statements(st.statement_block, dataclasses.replace(ctx, env=a), indent) or [
        f"{indent}pass"
    ]
    other = dataclasses.replace(ctx, env=b)
    if st.elseifs:
        first, rest = st.elseifs[0], st.elseifs[1:]
        nested = _ElseIf(first.condition, first.statement_block, rest, st.elses)
        lines += _if(nested, other, indent)
    elif st.elses is not None:
        lines += statements(st.elses.statement_block, other, indent)
    lines.append(f"{indent}join({ctx.env}, {cond}, {a}, {b})")
    return lines


@dataclasses.dataclass
class _ElseIf:
    """``else if`` chains, as nested ``if``s."""

    condition: object
    statement_block: object
    elseifs: list
    elses: object


def all_statements(block):
    """Every statement of a statement block, at any depth (inside ``if`` branches too),
    in order."""
    for st in block.statements:
        yield st
        if st.get_node_type_name() == "IfStatement":
            branches = [st.statement_block, *(e.statement_block for e in st.elseifs)]
            if st.elses is not None:
                branches.append(st.elses.statement_block)
            for b in branches:
                yield from all_statements(b)


def declared_locals(block) -> list[str]:
    """The LOCAL variables a block declares, at any depth, in order."""
    found = [
        name_of(v)
        for st in all_statements(block)
        if st.get_node_type_name() == "LocalListStatement"
        for v in st.variables
    ]
    return list(dict.fromkeys(found))


def _reaction(st, ctx: Context, indent: str) -> list[str]:
    """``~ A + B <-> C (kf, kb)``: the mass-action flux, taken from the reactants and
    given to the products; ``~ A << (flux)``: a flux into ``A``."""
    env, op = ctx.env, st.op.eval()
    lines = [f"{indent}# {_one_line(st)}"]
    if op == "<<":
        ((name, _),) = species(st.reaction1, ctx)
        value = expression(st.expression1, ctx)
        return lines + [f'{indent}{env}["{name}\'"] = {env}["{name}\'"] + flux({env}, {value})']
    if op != "<->":
        raise ctx.mod.error(f"the reaction operator {op} is not supported.", node=st)
    left, right = species(st.reaction1, ctx), species(st.reaction2, ctx)
    flux = ctx.fresh("flux")
    forward, backward = (
        _mass_action(st.expression1, left, ctx),
        _mass_action(st.expression2, right, ctx),
    )
    lines.append(f"{indent}{flux} = {forward} - {backward}")
    for side, sign in ((left, "-"), (right, "+")):
        for name, n in side:
            amount = flux if n == 1 else f"{n} * {flux}"
            lines.append(f'{indent}{env}["{name}\'"] = {env}["{name}\'"] {sign} {amount}')
    return lines


def _one_line(node) -> str:
    from neuron.nmodl import dsl

    return " ".join(dsl.to_nmodl(node).split())


def species(node, ctx: Context) -> list[tuple[str, int]]:
    """The states and stoichiometries of one side of a reaction."""
    if node.get_node_type_name() == "BinaryExpression":
        return species(node.lhs, ctx) + species(node.rhs, ctx)
    name = name_of(node.name)
    if name not in ctx.mod.states:
        raise ctx.mod.error(f"{name} in a reaction is not a STATE.", node=node)
    return [(name, 1 if node.value is None else int(node.value.value))]


def _mass_action(rate, species, ctx: Context) -> str:
    terms = [expression(rate, ctx, 2)]
    for name, n in species:
        terms.append(f"{ctx.env}.{name}" if n == 1 else f"{ctx.env}.{name} ** {n}")
    return " * ".join(terms)


def solved_states(mod: ModFile, target: str) -> list[str]:
    """The states a DERIVATIVE block's equations or a KINETIC block's reactions advance,
    in order (KINETIC: as the STATE block declares them)."""
    kinetic = target in mod.kinetics
    block = (mod.kinetics if kinetic else mod.derivatives)[target].statement_block
    found = []
    for st in all_statements(block):
        kind = st.get_node_type_name()
        if kind == "ReactionStatement":
            for side in (st.reaction1, st.reaction2):
                if side is not None:
                    found.extend(n for n, _ in species(side, Context(mod, set())))
        elif kind == "ExpressionStatement":
            expr = st.expression
            while expr.get_node_type_name() == "WrappedExpression":
                expr = expr.expression
            if expr.get_node_type_name() == "DiffEqExpression":
                found.append(primed_state(expr.expression.lhs))
    if kinetic:
        return [n for n in mod.states if n in found]
    return list(dict.fromkeys(found))


def steady_state(mod: ModFile, solve, env: str) -> str:
    """``SOLVE target STEADYSTATE method`` in INITIAL: one backward-Euler step of
    `STEADY_STATE_DT`."""
    target = name_of(solve.block_name)
    if target not in mod.kinetics and target not in mod.derivatives:
        raise mod.error(
            f"SOLVE {target} STEADYSTATE: no DERIVATIVE or KINETIC block of that name.", node=solve
        )
    states = solved_states(mod, target)
    lhs = ", ".join(f"{env}.{python_name(n)}" for n in states) + ("," if len(states) == 1 else "")
    names = ", ".join(f'"{python_name(n)}"' for n in states) + ("," if len(states) == 1 else "")
    fn = python_name(target)
    if target in mod.kinetics:
        return f"{lhs} = sparse({env}, ({names}), {fn}_derivatives, STEADY_STATE_DT, {fn}_conserve)"
    return f"{lhs} = derivimplicit({env}, ({names}), {fn}_derivatives, STEADY_STATE_DT)"


def solve_of(st):
    """The SolveBlock of a ``SOLVE`` statement, else None."""
    expr = getattr(st, "expression", None)
    return expr if expr is not None and expr.get_node_type_name() == "SolveBlock" else None


def locals_line(local, indent: str, env: str = "s") -> list[str]:
    """The line giving a block its LOCAL variables `local` (names), at 0; none if none."""
    if not local:
        return []
    values = ", ".join(f'"{python_name(k)}": 0.0' for k in local)
    return [f"{indent}{env} = local({env}, {{{values}}})"]
