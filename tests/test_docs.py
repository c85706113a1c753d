"""The documentation site builds in strict mode (every API reference resolves), and its
tutorial pages show what they compute.

The build executes the tutorial notebooks (mkdocs-jupyter, `execute: true`, errors fail
the build): this is the one place the test run executes them, so a tutorial that breaks
fails `test_mkdocs_build_strict`. The site is built once per test run (a module-scoped
fixture) and the other tests read its HTML.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
TUTORIALS = sorted((ROOT / "tutorials").glob("*.ipynb"))


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    mkdocs = Path(sys.executable).parent / "mkdocs"
    if not mkdocs.exists():
        pytest.fail("mkdocs is not installed: install the docs extra, pip install -e '.[docs]'")
    site = tmp_path_factory.mktemp("docs") / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    env.pop("EQCABLE_DOCS_CACHE", None)  # execute every tutorial, never reuse a cached page
    result = subprocess.run(
        [str(mkdocs), "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
    )
    return result, site


@pytest.fixture(scope="module")
def site(build):
    result, site = build
    if result.returncode != 0:
        pytest.fail("the documentation site did not build: see test_mkdocs_build_strict")
    return site


def _html(path):
    from bs4 import BeautifulSoup  # comes with nbconvert, which mkdocs-jupyter needs

    return BeautifulSoup(path.read_text(), "html.parser")


def _page(site, notebook):
    return _html(site / "tutorials" / notebook.stem / "index.html")


def _code_cells(page):
    """The code cells as mkdocs-jupyter renders them (the template nests a second
    `jp-CodeCell` div in each; the inner one, with the cell's id, is the cell)."""
    return [c for c in page.select("div.jp-CodeCell") if c.get("id", "").startswith("cell-id=")]


def _first_heading(notebook):
    """The text of the notebook's first Markdown heading, inline code without backticks."""
    for cell in json.loads(notebook.read_text())["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if match := re.match(r"#{1,6} (.+)", line):
                    return match[1].replace("`", "").strip()
    raise AssertionError(f"{notebook.name} has no heading")


def test_mkdocs_build_strict(build):
    result, _ = build
    # the log without colour codes and without the INFO lines (a broken tutorial shows as
    # "Error reading page 'tutorials/...ipynb'" with the cell and its traceback)
    log = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr).splitlines()
    log = [line for line in log if not line.startswith(("INFO", "[IPKernelApp] WARNING"))]
    assert result.returncode == 0, "\n".join(log)


def test_tutorials_are_in_the_site():
    assert TUTORIALS
    nav = (ROOT / "mkdocs.yml").read_text()
    missing = [nb.name for nb in TUTORIALS if f"tutorials/{nb.name}" not in nav]
    assert not missing, f"tutorials missing from the nav of mkdocs.yml: {missing}"


@pytest.mark.parametrize("notebook", TUTORIALS, ids=lambda nb: nb.stem)
def test_tutorial_page_shows_its_outputs_and_figures(site, notebook):
    cells = _code_cells(_page(site, notebook))
    assert cells, f"{notebook.name}: no code cells on its page"
    # every code cell ran: its prompt holds an execution count, never "In [ ]:"
    prompts = [" ".join(c.select_one(".jp-InputPrompt").get_text().split()) for c in cells]
    assert all(re.fullmatch(r"In \[\d+\]:", p) for p in prompts), prompts
    # at least one figure, embedded as an inline PNG in a code cell's output area
    figures = [
        img
        for cell in cells
        for img in cell.select(".jp-OutputArea img")
        if img.get("src", "").startswith("data:image/png;base64,")
    ]
    assert figures, f"{notebook.name}: no figure in the outputs of its code cells"


@pytest.mark.parametrize("notebook", TUTORIALS, ids=lambda nb: nb.stem)
def test_tutorial_title_is_its_first_heading(site, notebook):
    heading = _first_heading(notebook)
    page = _page(site, notebook)
    assert page.title.get_text() == f"{heading} - eqcable"
    href = f"tutorials/{notebook.stem}/"
    nav = [
        " ".join(a.get_text().split())
        for a in _html(site / "index.html").select("a.md-nav__link")
        if a.get("href", "").endswith(href)
    ]
    assert nav == [heading], nav
    # the page's table of contents points at headings that exist
    ids = {tag["id"] for tag in page.select("[id]")}
    anchors = {a["href"][1:] for a in page.select("nav.md-nav--secondary a[href^='#']")}
    assert anchors <= ids, anchors - ids


def test_every_public_name_has_an_api_entry():
    import types

    import eqcable

    api = "\n".join(p.read_text() for p in (ROOT / "docs" / "api").glob("*.md"))
    public = [
        n
        for n in dir(eqcable)
        if not n.startswith("_") and not isinstance(getattr(eqcable, n), types.ModuleType)
    ]
    missing = [n for n in public if f"::: eqcable.{n}" not in api]
    assert not missing, f"public names without an API entry: {missing}"
