"""Single precision: `integrate` warns once, and its gradients stay close to float64's.

The tests run in float64 (conftest), so every float32 run happens in a subprocess that
never enables ``jax_enable_x64``.
"""

import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import equinox as eqx
import numpy as np

import eqcable as ec

HERE = Path(__file__).parent


def _float32_subprocess(code: str, tmp_path: Path, **modules: str) -> subprocess.CompletedProcess:
    """Run `code` as ``script.py`` in `tmp_path`, next to `modules` (name: source)."""
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(code))
    for name, source in modules.items():
        (tmp_path / f"{name}.py").write_text(source)
    env = {k: v for k, v in os.environ.items() if k != "JAX_ENABLE_X64"}
    result = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_float32_warns_once_per_process_at_the_callers_line(tmp_path):
    # The first call is traced under jit(grad(vmap(...))): the warning comes at trace time
    # and names the line of the user's `cell.integrate`. Later calls (eager, the function
    # form, new shapes, recompilation, from another module) do not warn again.
    result = _float32_subprocess(
        """
        import equinox as eqx, jax, jax.numpy as jnp
        import eqcable as ec

        cell = ec.Cell([ec.Branch(ec.Compartment(), ncomp=2)], parents=[-1]).insert(ec.HH())
        cell = cell.comp(0).record().make_trainable("radius")
        batch = ({"radius": jnp.array([1.0, 2.0])},)

        def loss(p):
            return cell.integrate(p, t_max=0.1).mean()  # FIRST CALL

        assert cell.radius.dtype == jnp.float32
        g = eqx.filter_jit(eqx.filter_grad(lambda b: jax.vmap(loss)(b).sum()))(batch)
        cell.integrate(t_max=0.1)
        ec.integrate(cell, cell.params(), t_max=0.2)
        eqx.filter_jit(lambda p: cell.integrate(p, t_max=0.3))(cell.params())
        import other  # another module calling it: still once per process
        other.run(cell)
        print("done")
        """,
        tmp_path,
        other="def run(cell):\n    return cell.integrate(t_max=0.1)\n",
    )
    assert result.stdout.strip() == "done"
    lines = [ln for ln in result.stderr.splitlines() if "Float32Warning" in ln]
    assert len(lines) == 1, result.stderr
    source = (tmp_path / "script.py").read_text().splitlines()
    lineno = next(i for i, ln in enumerate(source, 1) if "FIRST CALL" in ln)
    assert lines[0].startswith(f"{tmp_path / 'script.py'}:{lineno}: Float32Warning:"), lines[0]
    assert "float32" in lines[0] and "jax_enable_x64" in lines[0]


def test_float32_warning_can_be_silenced_or_raised(tmp_path):
    result = _float32_subprocess(
        """
        import warnings
        import eqcable as ec

        cell = ec.Cell([ec.Branch(ec.Compartment(), ncomp=1)], parents=[-1]).comp(0).record()
        with warnings.catch_warnings():
            warnings.simplefilter("error", ec.Float32Warning)
            try:
                cell.integrate(t_max=0.1)
            except ec.Float32Warning:
                print("raised")
        warnings.simplefilter("ignore", ec.Float32Warning)
        cell.integrate(t_max=0.1)
        """,
        tmp_path,
    )
    assert result.stdout.strip() == "raised"
    assert "Float32Warning" not in result.stderr


def test_float64_does_not_warn():
    cell = ec.Cell([ec.Branch(ec.Compartment(), ncomp=2)], parents=[-1]).insert(ec.HH())
    cell = cell.comp(0).record().make_trainable("length")
    assert cell.length.dtype == np.float64
    with warnings.catch_warnings():
        warnings.simplefilter("error", ec.Float32Warning)
        cell.integrate(t_max=0.1)
        eqx.filter_grad(lambda p: cell.integrate(p, t_max=0.1).mean())(cell.params())
