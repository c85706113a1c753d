"""The tree solve as one GPU kernel per solve: `PallasSolve`.

`LevelParallelSolve` runs one XLA kernel per tree level and sweep: on a GPU a step of a
CA1 cell (84 levels) launches some 170 small kernels and waits on the launches, not on
arithmetic (issue 20's measurements). Here each solve is a single kernel written in
Pallas (JAX's kernel language, lowered through Triton on NVIDIA GPUs): the elimination
from the leaves up and the substitution from the roots down run inside it as two loops
over the nodes in `TreeSchedule.order`, so a solve costs one launch whatever the tree's
depth. Every node's update reads only its own and its parent's entries, so the loops
have no write conflicts and the answer does not depend on thread scheduling.

Batches (`jax.vmap` over cells, parameters or stimuli) become the kernel's grid: one
program per simulation, all running at once.

On a CPU there is no Pallas compiler; there the same kernel runs through Pallas'
interpreter (ordinary XLA operations), which is how the tests check it against the other
solvers. `interpret=None` (the default) picks the interpreter on CPUs and the compiled
kernel elsewhere, inside one program (`jax.lax.platform_dependent`), so a model exported
or compiled for a GPU contains the kernel.

The custom JVP of `eqcable.solvers.tree_solve` is unchanged: a derivative is one more
solve with the eliminated diagonal, i.e. one more launch of the same kernel.
"""

import enum
import functools

import equinox as eqx
import jax
import jax.numpy as jnp
from jax.experimental import pallas as pl
from jax.experimental.pallas import triton as plt

from .tree_solve import AbstractTreeSolver, TreeSchedule


class _Sweeps(enum.Enum):
    """What one launch of the kernel does."""

    ELIMINATE = "eliminate"  # (d, b) -> (d_elim, b_elim)
    ELIMINATE_RHS = "eliminate_rhs"  # (d_elim, b) -> b_elim
    SUBSTITUTE = "substitute"  # (d_elim, b_elim) -> x
    SOLVE = "solve"  # (d, b) -> (d_elim, x)
    SOLVE_ELIMINATED = "solve_eliminated"  # (d_elim, b) -> x

    @property
    def flags(self) -> tuple[bool, bool, bool]:
        """Whether the launch eliminates ``d``, eliminates ``b``, and substitutes: its
        outputs are ``d``, ``b`` and ``x``, in that order, where the flag is set."""
        eliminate_d = self in (_Sweeps.ELIMINATE, _Sweeps.SOLVE)
        eliminate = self is not _Sweeps.SUBSTITUTE
        substitute = self not in (_Sweeps.ELIMINATE, _Sweeps.ELIMINATE_RHS)
        return eliminate_d, eliminate, substitute


def _kernel(sweeps: _Sweeps, order_ref, above_ref, u_ref, d_in, b_in, *out_refs):
    """The sweeps over one tree. `order_ref` lists the nodes parents first, `above_ref`
    their parents (a root its own index); `u_ref` is 0 at roots. What a launch changes it
    changes in place: the outputs for ``d`` and ``b`` are aliased to `d_in` and `b_in`."""
    n = order_ref.shape[0]
    eliminate_d, eliminate, substitute = sweeps.flags
    outs = iter(out_refs)
    d_ref = next(outs) if eliminate_d else d_in
    b_ref = next(outs) if eliminate else b_in
    x_ref = next(outs) if substitute else None

    def up(j, carry):  # eliminate node i into its parent p, last of `order` first
        i, p = order_ref[n - 1 - j], above_ref[n - 1 - j]
        f = u_ref[i] / d_ref[i]
        if eliminate_d:
            d_ref[p] = d_ref[p] - f * u_ref[i]
        b_ref[p] = b_ref[p] - f * b_ref[i]
        return carry

    def down(k, carry):  # x_i = b_i / d_i - (u_i / d_i) x_p, roots first
        i, p = order_ref[k], above_ref[k]
        d = d_ref[i]
        # A root's parent is itself, not yet written: select, do not multiply by u = 0.
        above = jnp.where(p == i, 0.0, u_ref[i] / d * x_ref[p])
        x_ref[i] = b_ref[i] / d - above
        return carry

    if eliminate:
        jax.lax.fori_loop(0, n, up, 0)
    if substitute:
        jax.lax.fori_loop(0, n, down, 0)


def _launch(sweeps: _Sweeps, interpret: bool, order, above, u, d, b):
    """One launch of the kernel doing `sweeps`."""
    like = jax.ShapeDtypeStruct(d.shape, d.dtype)
    eliminate_d, eliminate, _ = sweeps.flags
    # d and b (arguments 3 and 4) are updated in place where the launch changes them.
    changed = [k for k, on in ((3, eliminate_d), (4, eliminate)) if on]
    # The loops are sequential: one warp per tree is all a program can use.
    return pl.pallas_call(
        functools.partial(_kernel, sweeps),
        out_shape=(like,) * sum(sweeps.flags),
        input_output_aliases={k: out for out, k in enumerate(changed)},
        interpret=interpret,
        compiler_params=plt.CompilerParams(num_warps=1, num_stages=1),
        name=f"eqcable_tree_{sweeps.value}",
    )(order, above, u, d, b)


def on_backend(call, interpret: bool | None, *args):
    """``call(interpret, *args)``; for ``interpret=None`` Pallas' interpreter on CPUs and
    the compiled kernel elsewhere, chosen when the program is lowered."""
    if interpret is not None:
        return call(interpret, *args)
    return jax.lax.platform_dependent(
        *args, cpu=functools.partial(call, True), default=functools.partial(call, False)
    )


class PallasSolve(AbstractTreeSolver):
    """The whole tree solve in one kernel launch (Pallas; Triton on NVIDIA GPUs), for
    GPUs, where `LevelParallelSolve` pays a kernel launch per tree level (see
    `eqcable.solvers.pallas`). Same answers as the other solvers, same custom JVP.

    **Arguments:**

    - `interpret`: run the kernel through Pallas' interpreter (``True``), compiled
      (``False``), or the interpreter on CPUs and compiled elsewhere (``None``, default).
    - `steps_per_launch`: ``None`` (default): only the tree solve is a kernel. An int
      ``k``: whole time steps are fused, ``k`` per kernel launch: synapses, channels,
      assembly, the solve (in rounds of a tree depth each), state updates and recordings
      (`eqcable.simulation.fused`; cells and networks without clamps or integrated
      concentrations, recording ``"v"``, channel and synapse states). Runs that are
      differentiated go through the ordinary time loop with this solver.
    - `lanes`: with `steps_per_launch`, the width of the kernel's vector blocks (a power of
      two from 32 to 1,024: one GPU warp per 32 lanes); ``None`` (default) chooses it from
      the model (`eqcable.simulation.fused_rounds.lanes_for`; untuned).

    GPU timings are pending (no GPU was at hand when it was written); `default_solver`
    does not pick it yet. On a CPU prefer `PartitionedSolve`: the interpreter runs the
    kernels' loops one step at a time (fused steps through it were 17x slower than the
    time loop on CA1); it is there so that the kernels can be checked without a GPU.
    Derivatives of order one only (Pallas cannot differentiate a kernel that updates in
    place).
    """

    interpret: bool | None = eqx.field(static=True, default=None)
    steps_per_launch: int | None = eqx.field(static=True, default=None)
    lanes: int | None = eqx.field(static=True, default=None)

    def __check_init__(self):
        if self.interpret not in (None, True, False):
            raise TypeError(f"interpret must be None, True or False; got {self.interpret!r}.")
        k = self.steps_per_launch
        if k is not None and (isinstance(k, bool) or not isinstance(k, int) or k < 1):
            raise ValueError(f"steps_per_launch must be None or an int >= 1; got {k!r}.")
        n = self.lanes
        if n is not None and (
            isinstance(n, bool) or not isinstance(n, int) or n not in [2**j for j in range(5, 11)]
        ):
            raise ValueError(f"lanes must be None or a power of two from 32 to 1024; got {n!r}.")

    def _run(self, sweeps: _Sweeps, u, d, b, schedule: TreeSchedule):
        parent = schedule.parent
        order = schedule.order.astype(jnp.int32)
        above = jnp.where(parent < 0, jnp.arange(parent.shape[0]), parent)[order]
        args = (order, above.astype(jnp.int32), jnp.where(parent < 0, 0.0, u), d, b)
        return on_backend(functools.partial(_launch, sweeps), self.interpret, *args)

    def eliminate(self, d, u, b, schedule):
        return self._run(_Sweeps.ELIMINATE, u, d, b, schedule)

    def eliminate_rhs(self, d_elim, u, b, schedule):
        (b_elim,) = self._run(_Sweeps.ELIMINATE_RHS, u, d_elim, b, schedule)
        return b_elim

    def substitute(self, d_elim, u, b_elim, schedule):
        (x,) = self._run(_Sweeps.SUBSTITUTE, u, d_elim, b_elim, schedule)
        return x

    def solve(self, d, u, b, schedule):
        d_elim, _, x = self._run(_Sweeps.SOLVE, u, d, b, schedule)
        return d_elim, x

    def solve_eliminated(self, d_elim, u, b, schedule):
        _, x = self._run(_Sweeps.SOLVE_ELIMINATED, u, d_elim, b, schedule)
        return x
