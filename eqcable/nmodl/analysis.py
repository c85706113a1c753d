"""Which of a mechanism's variables must persist between steps.

NEURON keeps every ASSIGNED variable of a mechanism instance from one block to the next.
eqcable's mechanisms are pure functions of their states, so a variable that a block reads
before assigning it, and that some block assigns (``factor`` of ``Exp2Syn``: assigned in
INITIAL, read in NET_RECEIVE), is carried as a state. Most are not: ``minf`` is assigned
by ``rates()`` before each use.
"""

import dataclasses

from .description import ModFile, name_of
from .emit import declared_locals


@dataclasses.dataclass
class Summary:
    """What a block does with the mechanism's variables: reads before any assignment
    (`live`), assigns on every path (`must`), may assign (`may`), reads at all
    (`reads`, transitively through calls)."""

    live: set = dataclasses.field(default_factory=set)
    must: set = dataclasses.field(default_factory=set)
    may: set = dataclasses.field(default_factory=set)
    reads: set = dataclasses.field(default_factory=set)


def _names(node, out_vars: list, out_calls: list) -> None:
    kind = node.get_node_type_name()
    if kind == "VarName":
        out_vars.append(name_of(node))
        return
    if kind == "FunctionCall":
        out_calls.append(node)
        for a in node.arguments:
            _names(a, out_vars, out_calls)
        return
    if kind not in ("WrappedExpression", "ParenExpression", "UnaryExpression", "BinaryExpression"):
        return  # numbers, primes
    for attr in ("expression", "lhs", "rhs"):
        child = getattr(node, attr, None)
        if child is not None and hasattr(child, "get_node_type_name"):
            _names(child, out_vars, out_calls)


class Analysis:
    """Summaries of an NMODL file's blocks, over the variables `tracked` (its assigned
    variables and parameters)."""

    def __init__(self, mod: ModFile, tracked: set):
        self.mod, self.tracked = mod, tracked
        self._callees: dict[str, Summary] = {}

    def callee(self, name: str) -> Summary:
        """The summary of FUNCTION or PROCEDURE `name` (its arguments and locals aside)."""
        if name not in self._callees:
            self._callees[name] = Summary()  # recursion: assume nothing
            block = self.mod.functions.get(name) or self.mod.procedures[name]
            hidden = (
                {name_of(p) for p in block.parameters}
                | set(declared_locals(block.statement_block))
                | {name}
            )
            self._callees[name] = self.block(block.statement_block, hidden)
        return self._callees[name]

    def block(self, block, hidden: set = frozenset()) -> Summary:
        """The summary of a statement block, with the names `hidden` (locals) ignored."""
        out = Summary()
        for st in block.statements:
            self._statement(st, hidden, out)
        return out

    def _expression(self, node, hidden, out: Summary) -> None:
        found, calls = [], []
        _names(node, found, calls)
        for n in found:
            if n in hidden:
                continue
            out.reads.add(n)
            if n in self.tracked and n not in out.must:
                out.live.add(n)
        for c in calls:
            name = name_of(c)
            if name in self.mod.functions or name in self.mod.procedures:
                sub = self.callee(name)
                out.reads |= sub.reads
                out.live |= sub.live - out.must
                out.must |= sub.must
                out.may |= sub.may

    def _statement(self, st, hidden, out: Summary) -> None:
        kind = st.get_node_type_name()
        if kind == "IfStatement":
            self._expression(st.condition, hidden, out)
            branches = [st.statement_block, *(e.statement_block for e in st.elseifs)]
            for e in st.elseifs:
                self._expression(e.condition, hidden, out)
            results = []
            for b in branches + ([st.elses.statement_block] if st.elses is not None else []):
                sub = Summary(must=set(out.must))
                for s in b.statements:
                    self._statement(s, hidden, sub)
                results.append(sub)
                out.live |= sub.live
                out.may |= sub.may
                out.reads |= sub.reads
            if st.elses is not None:
                out.must = set.intersection(*(r.must for r in results))
            return
        if kind == "ReactionStatement":
            for e in (st.expression1, st.expression2):
                if e is not None:
                    self._expression(e, hidden, out)
            return
        if kind != "ExpressionStatement":
            return
        expr = st.expression
        while expr.get_node_type_name() == "WrappedExpression":
            expr = expr.expression
        ekind = expr.get_node_type_name()
        if ekind == "DiffEqExpression":
            self._expression(expr.expression.rhs, hidden, out)
        elif ekind == "FunctionCall":
            self._expression(expr, hidden, out)
        elif ekind == "BinaryExpression" and expr.op.eval() == "=":
            self._expression(expr.rhs, hidden, out)
            target = name_of(expr.lhs)
            if target not in hidden:
                out.must.add(target)
                out.may.add(target)
