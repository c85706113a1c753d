"""The package's layering, read from the source with `ast` (nothing of eqcable is imported).

Every `.py` file under `eqcable/` has a rank; a file may import only from its own rank or
below. Every import counts wherever it stands: module level, inside a function or a class,
under `if TYPE_CHECKING:`, in a `try:`. Relative imports are resolved against the file's
package. Importing the top-level package itself (`from .. import __version__`) counts as
importing rank 6, `eqcable/__init__.py`: reading `__version__` that way is forbidden like
any other upward import (the version has to come from a lower rank, or from
`importlib.metadata`).

Besides the ranks: no import circles among the package's modules (deferred imports
included), no private names (`_x`) taken from another module, no private module taken from
outside the folder that holds it, and no file longer than 400 lines.
"""

from __future__ import annotations

import ast
from collections import deque
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PACKAGE = "eqcable"
MAX_LINES = 400

# Rank k is RANKS[k - 1]: a label, and the dotted names of the files and folders it holds.
# A folder's name covers everything in it, its `__init__.py` included; the longest name that
# matches wins. The top-level package's name covers `eqcable/__init__.py` only, so a new
# top-level file or folder has no rank until it is added here. Names that do not exist yet
# are fine (the table may run ahead of the code).
RANKS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("morphology, solvers, stimuli", ("eqcable.morphology", "eqcable.solvers", "eqcable.stimuli")),
    (
        "mechanisms",
        (
            "eqcable.channels",
            "eqcable.synapses",
            "eqcable.ions",
            "eqcable.mechanisms",
            "eqcable.experiments",
        ),
    ),
    # The time loop: integrate.py until it moves into simulation/.
    ("simulation", ("eqcable.simulation", "eqcable.integrate")),
    ("modules", ("eqcable.modules",)),
    (
        "plotting, io, fitting, recipes, nmodl",
        ("eqcable.plotting", "eqcable.io", "eqcable.fitting", "eqcable.recipes", "eqcable.nmodl"),
    ),
    ("top-level package", ("eqcable",)),
)


def rank_of(module: str) -> int | None:
    """The rank of a dotted module name of the package; None where the table has none."""
    best: tuple[int, int] | None = None  # (length of the matching name, rank)
    for rank, (_, names) in enumerate(RANKS, start=1):
        for name in names:
            covers = module == name or (name != PACKAGE and module.startswith(name + "."))
            if covers and (best is None or len(name) > best[0]):
                best = (len(name), rank)
    return None if best is None else best[1]


def describe(rank: int | None) -> str:
    return "no rank" if rank is None else f"rank {rank}, {RANKS[rank - 1][0]}"


def is_private(name: str) -> bool:
    """`_x`, not `__x__` (nor `__init__`)."""
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


# ---------------------------------------------------------------------------------------
# The walk


@dataclass(frozen=True)
class Source:
    module: str  # dotted name: eqcable.modules.base; a package's __init__.py is the package
    is_package: bool
    path: str  # for messages: eqcable/modules/base.py
    text: str

    @property
    def package(self) -> str:
        """The package that relative imports (and 'same folder') are taken against."""
        return self.module if self.is_package else self.module.rpartition(".")[0]


@dataclass(frozen=True)
class Import:
    line: int
    statement: str  # the source text, for messages
    target: str  # the package module that the statement loads
    name: str | None  # `from target import name` where name is not a module; "*" for a star
    attribute: bool = False  # `module._name` read off a module the file imported


def source_of(path: Path) -> Source:
    parts = path.relative_to(ROOT).with_suffix("").parts
    is_package = parts[-1] == "__init__"
    module = ".".join(parts[:-1] if is_package else parts)
    return Source(module, is_package, path.relative_to(ROOT).as_posix(), path.read_text())


def internal(name: str) -> bool:
    return name == PACKAGE or name.startswith(PACKAGE + ".")


def resolve(source: Source, level: int, module: str | None) -> str:
    """The absolute name of `from <level dots><module> import ...` in `source`."""
    if level == 0:
        assert module is not None
        return module
    parts = source.package.split(".")
    if level - 1 >= len(parts):
        raise ValueError(f"{source.path}: a relative import climbs above the top-level package")
    base = ".".join(parts[: len(parts) - (level - 1)])
    return f"{base}.{module}" if module else base


def dotted(node: ast.expr) -> list[str] | None:
    """`a.b.c` as ["a", "b", "c"]; None for anything that is not a plain chain of names."""
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Attribute):
        head = dotted(node.value)
        return None if head is None else [*head, node.attr]
    return None


def imports_of(source: Source, modules: frozenset[str]) -> list[Import]:
    """Every import of a package module in `source`, at any depth of its syntax tree, and
    every private attribute read off a package module it bound to a name.

    `modules` are the package's module names: `from x import y` imports the module x.y
    where there is one, else the name y from x.
    """
    tree = ast.parse(source.text, filename=source.path)
    found: list[Import] = []
    bound: dict[str, str] = {}  # a local name -> the package module it stands for
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if internal(alias.name):
                    found.append(Import(node.lineno, ast.unparse(node), alias.name, None))
                    if alias.asname:
                        bound[alias.asname] = alias.name
                    else:
                        bound[alias.name.split(".")[0]] = PACKAGE
        elif isinstance(node, ast.ImportFrom):
            base = resolve(source, node.level, node.module)
            if not internal(base):
                continue
            for alias in node.names:
                full = f"{base}.{alias.name}"
                if full in modules:
                    found.append(Import(node.lineno, ast.unparse(node), full, None))
                    bound[alias.asname or alias.name] = full
                else:
                    found.append(Import(node.lineno, ast.unparse(node), base, alias.name))
    # `mod._x`, where `mod` is a package module this file imported: reads a private name (or
    # loads a private module) as surely as `from mod import _x`. Names are not scoped here.
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and is_private(node.attr):
            chain = dotted(node.value)
            if chain is None or chain[0] not in bound:
                continue
            owner = ".".join([bound[chain[0]], *chain[1:]])
            if owner not in modules:
                continue
            full = f"{owner}.{node.attr}"
            target, name = (full, None) if full in modules else (owner, node.attr)
            found.append(Import(node.lineno, ast.unparse(node), target, name, attribute=True))
    return sorted(found, key=lambda imp: imp.line)


# ---------------------------------------------------------------------------------------
# The checks


def rank_violations(source: Source, imports: list[Import]) -> list[str]:
    own = rank_of(source.module)
    problems = []
    for imp in imports:
        if imp.attribute:
            continue
        theirs = rank_of(imp.target)
        if theirs is None or own is None or theirs > own:
            problems.append(
                f"{source.path}:{imp.line}: `{imp.statement}` imports {imp.target} "
                f"({describe(theirs)}) from {source.module} ({describe(own)})"
            )
    return problems


def private_violations(source: Source, imports: list[Import]) -> list[str]:
    problems = []
    for imp in imports:
        where = f"{source.path}:{imp.line}: `{imp.statement}`"
        if imp.name is not None and is_private(imp.name):
            problems.append(f"{where} takes the private name {imp.name} from {imp.target}")
        parts = imp.target.split(".")
        for i, part in enumerate(parts):
            if not is_private(part):
                continue
            holder = ".".join(parts[:i])  # the folder the private module lies in
            if source.package != holder and not source.package.startswith(holder + "."):
                problems.append(
                    f"{where} reaches into {'.'.join(parts[: i + 1])}, a private module of "
                    f"{holder}, from {source.module}"
                )
    return problems


Graph = dict[str, list[tuple[str, str]]]  # module -> [(imported module, "path:line")]


def import_graph(sources: list[Source], modules: frozenset[str]) -> Graph:
    graph: Graph = {s.module: [] for s in sources}
    for s in sources:
        for imp in imports_of(s, modules):
            if not imp.attribute and imp.target in graph:
                graph[s.module].append((imp.target, f"{s.path}:{imp.line}"))
    return graph


def shortest_cycle(graph: Graph, start: str) -> list[tuple[str, str]] | None:
    """The shortest circle of imports from `start` back to it, as [(module, "path:line" of the
    import that reaches it)]; None where there is none."""
    came_from: dict[str, tuple[str, str]] = {}
    queue = deque([start])
    while queue:
        here = queue.popleft()
        for there, where in graph[here]:
            if there in came_from:
                continue
            came_from[there] = (here, where)
            if there == start:
                steps = []
                node = start
                while True:
                    before, at = came_from[node]
                    steps.append((node, at))
                    node = before
                    if node == start:
                        return steps[::-1]
            queue.append(there)
    return None


def format_cycle(start: str, steps: list[tuple[str, str]]) -> str:
    return " -> ".join([start, *(f"{module} ({at})" for module, at in steps)])


# ---------------------------------------------------------------------------------------
# The package

FILES = sorted((ROOT / PACKAGE).rglob("*.py"))
IDS = [p.relative_to(ROOT).as_posix() for p in FILES]
MODULES = frozenset(source_of(p).module for p in FILES)


@cache
def imports(path: Path) -> list[Import]:
    return imports_of(source_of(path), MODULES)


@cache
def package_graph() -> Graph:
    return import_graph([source_of(p) for p in FILES], MODULES)


def test_the_walk_finds_the_package():
    assert len(FILES) > 30, IDS
    assert ROOT / PACKAGE / "__init__.py" in FILES
    internal_imports = sum(len(imports(p)) for p in FILES)
    assert internal_imports > 50, internal_imports


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_every_file_has_a_rank(path):
    module = source_of(path).module
    assert rank_of(module) is not None, (
        f"{path.relative_to(ROOT)} ({module}) has no rank: add it to RANKS in {Path(__file__).name}"
    )


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_imports_go_to_the_same_rank_or_below(path):
    problems = rank_violations(source_of(path), imports(path))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_no_circular_imports(path):
    module = source_of(path).module
    steps = shortest_cycle(package_graph(), module)
    assert steps is None, "import circle: " + format_cycle(module, steps)


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_no_private_names_across_modules(path):
    problems = private_violations(source_of(path), imports(path))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_files_are_at_most_400_lines(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines (> {MAX_LINES})"


# ---------------------------------------------------------------------------------------
# Probes: the checker flags what it should (the tests above cannot pass by finding nothing)

PROBE_MODULES = MODULES | {"eqcable.modules._arrays", "eqcable.modules.base"}


def probe(module: str, text: str, is_package: bool = False) -> Source:
    path = module.replace(".", "/") + ("/__init__.py" if is_package else ".py")
    return Source(module, is_package, path, text)


def test_probe_upward_imports_are_flagged_wherever_they_stand():
    fake = probe(
        "eqcable.morphology.fake",
        "from typing import TYPE_CHECKING\n"
        "import numpy as np\n"  # not the package's: ignored
        "from .swc import SOMA\n"  # rank 1 -> rank 1: fine
        "from ..solvers import tree_solve\n"  # rank 1 -> rank 1: fine
        "if TYPE_CHECKING:\n"
        "    from ..synapses.base import AbstractSynapse\n"  # line 6: rank 2
        "def f():\n"
        "    class C:\n"
        "        def g(self):\n"
        "            from ..modules.base import AbstractModule\n"  # line 10: rank 4
        "    import eqcable.integrate as integ\n"  # line 11: rank 3
        "    from .. import __version__\n"  # line 12: rank 6
        "    from ..newthing import x\n",  # line 13: no rank
    )
    problems = rank_violations(fake, imports_of(fake, PROBE_MODULES))
    assert [p.split(":")[1] for p in problems] == ["6", "10", "11", "12", "13"], problems
    assert problems[1] == (
        "eqcable/morphology/fake.py:10: `from ..modules.base import AbstractModule` imports "
        "eqcable.modules.base (rank 4, modules) from eqcable.morphology.fake "
        "(rank 1, morphology, solvers, stimuli)"
    )
    assert "eqcable (rank 6, top-level package)" in problems[3]
    assert "eqcable.newthing (no rank)" in problems[4]
    # the same imports, one rank up, from a package's __init__.py
    top = probe("eqcable.modules", "from .base import X\nfrom ..io import load\n", True)
    problems = rank_violations(top, imports_of(top, PROBE_MODULES))
    assert len(problems) == 1 and "eqcable.io (rank 5" in problems[0], problems


def test_probe_relative_imports_resolve_against_the_package():
    module = probe("eqcable.modules.base", "")
    package = probe("eqcable.modules", "", is_package=True)
    assert resolve(module, 1, "x") == resolve(package, 1, "x") == "eqcable.modules.x"
    assert resolve(module, 2, None) == resolve(package, 2, None) == "eqcable"
    assert resolve(probe("eqcable", "", is_package=True), 1, "io") == "eqcable.io"
    with pytest.raises(ValueError, match="climbs above"):
        resolve(module, 3, "x")
    assert rank_of("eqcable") == 6 and rank_of("eqcable.ions.ca") == 2
    assert rank_of("eqcable.integrate") == rank_of("eqcable.simulation.loop") == 3
    assert rank_of("eqcable.newthing") is None and rank_of("eqcablex") is None


def test_probe_a_deferred_import_that_closes_a_circle_is_caught():
    sources = [
        probe("eqcable.modules.base", "def run():\n    from ..integrate import integrate\n"),
        probe("eqcable.integrate", "from .stimuli import check\nfrom .modules.base import M\n"),
        probe("eqcable.stimuli", "import numpy\n"),
    ]
    modules = frozenset(s.module for s in sources)
    graph = import_graph(sources, modules)
    steps = shortest_cycle(graph, "eqcable.integrate")
    assert format_cycle("eqcable.integrate", steps) == (
        "eqcable.integrate -> eqcable.modules.base (eqcable/integrate.py:2) "
        "-> eqcable.integrate (eqcable/modules/base.py:2)"
    )
    assert shortest_cycle(graph, "eqcable.stimuli") is None


def test_probe_private_crossings_are_flagged():
    same_folder = probe(
        "eqcable.modules.cell", "from ._arrays import take\nfrom . import _arrays\n"
    )
    assert private_violations(same_folder, imports_of(same_folder, PROBE_MODULES)) == []
    elsewhere = probe(
        "eqcable.io.fake",
        "from ..modules._arrays import take\n"  # private module of another folder
        "from ..modules.base import _check, __all__\n"  # a private name (a dunder is not)
        "from ..modules import base\n"
        "def f():\n"
        "    import eqcable.modules._arrays as arr\n"
        "    return base._helper\n",  # a private name read off an imported module
    )
    problems = private_violations(elsewhere, imports_of(elsewhere, PROBE_MODULES))
    assert [p.split(":")[1] for p in problems] == ["1", "2", "5", "6"], problems
    assert "private module of eqcable.modules" in problems[0]
    assert "private name _check from eqcable.modules.base" in problems[1]
    assert "`base._helper` takes the private name _helper" in problems[3]
    # a private name from another module of the same folder is still a crossing
    sibling = probe("eqcable.modules.network", "from .selection import _resolve\n")
    assert len(private_violations(sibling, imports_of(sibling, PROBE_MODULES))) == 1
