"""The documentation site builds in strict mode (every API reference resolves)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


def test_mkdocs_build_strict(tmp_path):
    mkdocs = Path(sys.executable).parent / "mkdocs"
    if not mkdocs.exists():
        pytest.fail("mkdocs is not installed: install the docs extra, pip install -e '.[docs]'")
    result = subprocess.run(
        [str(mkdocs), "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr


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
