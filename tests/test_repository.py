"""The repository stands alone: nothing a test, tutorial, benchmark, example or doc page
reads lies outside it (a user's fresh clone has nothing beside it)."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
SCANNED = ("tests", "tutorials", "benchmarks", "examples", "docs")
SUFFIXES = {".py", ".ipynb", ".md", ".yml", ".yaml", ".toml", ".cfg", ".txt", ".sh"}

# `Path(__file__).parents[k]`, `Path(__file__).parent.parent...`
PARENTS = re.compile(r"__file__\)(?:\.resolve\(\))?\.parents\[(\d+)\]")
PARENT_CHAIN = re.compile(r"__file__\)(?:\.resolve\(\))?((?:\.parent)+)\b")
# a quoted relative path that climbs: "../x", '..\x', "../../x"
CLIMBING = re.compile(r"""["'`(]((?:\.\.[/\\])+[^"'`)\s]*)""")
# absolute paths of someone's machine
ABSOLUTE = re.compile(r"""["'`]((?:/work|/home|/Users|/root|/tmp/bash_jobs|~)/[^"'`\s]*)""")


def _files() -> list[Path]:
    files = [
        p
        for top in SCANNED
        for p in sorted((ROOT / top).rglob("*"))
        if p.is_file()
        and p.suffix in SUFFIXES
        and ".ipynb_checkpoints" not in p.parts
        and p != Path(__file__)  # this file's examples of paths that leave
    ]
    files += [ROOT / name for name in ("README.md", "mkdocs.yml", "pyproject.toml")]
    return files


def _text(path: Path) -> str:
    """The text a file's code and prose are made of (a notebook's cell sources)."""
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text())["cells"]
        return "\n".join("".join(c["source"]) for c in cells)
    return path.read_text(errors="replace")


def _inside(path: Path) -> bool:
    return path.resolve().is_relative_to(ROOT.resolve())


def paths_leaving_the_repository(path: Path, text: str | None = None) -> list[str]:
    """The places in the file `path` (or in `text`, as if it were that file's) that name a
    file outside the repository."""
    text = _text(path) if text is None else text
    found = []
    for m in PARENTS.finditer(text):
        if not _inside(path.parents[int(m.group(1))]):
            found.append(m.group(0))
    for m in PARENT_CHAIN.finditer(text):
        up = m.group(1).count(".parent")
        if not _inside(path.parents[up - 1]):
            found.append(m.group(0))
    for m in CLIMBING.finditer(text):
        # Notebooks run in their folder and pages link relative to themselves; scripts and
        # tests run from the repository root.
        rel = m.group(1)
        base = ROOT if path.suffix == ".py" else path.parent
        if not _inside(base / rel):
            found.append(rel)
    found += [m.group(1) for m in ABSOLUTE.finditer(text)]
    if "shared/morphologies" in text:
        found.append("shared/morphologies")
    return found


def test_nothing_reads_outside_the_repository():
    files = _files()
    assert len(files) > 20, "the scan found too few files to be looking in the right place"
    offenders = {
        str(p.relative_to(ROOT)): hits for p in files if (hits := paths_leaving_the_repository(p))
    }
    assert not offenders, f"paths that leave the repository: {offenders}"


@pytest.mark.parametrize(
    "name, text",
    [
        ("tests/x.py", 'MORPHOLOGIES = Path(__file__).parents[2] / "outside" / "morphologies"'),
        ("tests/x.py", 'path = Path(__file__).parent.parent.parent / "data.swc"'),
        ("benchmarks/x.py", 'ec.read_swc("../outside/cell.swc")'),
        ("tutorials/x.ipynb", 'ec.read_swc("../../cell.swc")'),
        ("docs/x.md", "[cell](../../cell.swc)"),
        ("examples/x.py", 'np.load("/work/main/data.npy")'),
    ],
)
def test_the_scan_catches_paths_that_leave(name, text):
    assert paths_leaving_the_repository(ROOT / name, text)


def test_the_scan_lets_paths_inside_through():
    assert not paths_leaving_the_repository(
        ROOT / "tests" / "x.py",
        'A = Path(__file__).parents[1] / "eqcable"\nB = Path(__file__).parent / "data"\n',
    )
    assert not paths_leaving_the_repository(
        ROOT / "tutorials" / "x.ipynb", 'ec.read_swc("../tests/data/morphologies/a.swc")'
    )
    assert not paths_leaving_the_repository(ROOT / "docs" / "x.md", "[readme](../README.md)")
