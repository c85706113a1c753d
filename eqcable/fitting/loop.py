"""A fitting loop users can read: optax steps, a progress bar, and checkpoints to resume from."""

import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp

from ..io.archive import check_folder, read_archive, write_archive
from ..simulation.compiler import filter_jit

_FORMAT = 1
_STATE = "state.json"


class FitResult(NamedTuple):
    """What `fit` returns: the final `params`, the optimiser `opt_state`, the number of
    steps taken (`step`), the loss before each step (`history`) and the PRNG `key`."""

    params: Any
    opt_state: Any
    step: int
    history: list[float]
    key: jax.Array | None


def _save_checkpoint(path: Path, params, opt_state, step, history, key) -> None:
    buffer = io.BytesIO()
    eqx.tree_serialise_leaves(buffer, (params, opt_state, key))
    state = {"format": _FORMAT, "step": step, "history": history}
    write_archive(path, _STATE, state, buffer.getvalue())


def _load_checkpoint(path: Path, like):
    state, leaves = read_archive(path, _STATE, _FORMAT, ValueError, "fit checkpoint")
    try:
        params, opt_state, key = eqx.tree_deserialise_leaves(io.BytesIO(leaves), like)
    except Exception as e:
        raise ValueError(
            f"{path} was written by a different fit (parameters or optimiser differ): {e}"
        ) from None
    return params, opt_state, key, int(state["step"]), list(state["history"])


def fit(
    loss: Callable,
    params,
    optimiser,
    steps: int,
    *,
    key: jax.Array | None = None,
    checkpoint: str | os.PathLike | None = None,
    every: int = 50,
    progress: bool = True,
    callback: Callable[[int, float], None] | None = None,
) -> FitResult:
    """Minimise `loss(params)` (or `loss(params, key)`) with an optax optimiser.

    Each step is ``value, grads = value_and_grad(loss)``; ``updates, state =
    optimiser.update(grads, state, params)``; ``params = optax.apply_updates(...)``,
    compiled once. Gradient clipping and schedules belong in the optimiser (e.g.
    ``optax.chain(optax.clip_by_global_norm(1.0), optax.adam(1e-2))``).

    With `checkpoint`, the parameters, optimiser state, step, loss history and PRNG key
    are written atomically every `every` steps and at the end; calling `fit` again with
    the same file resumes from it, and the result is bit-identical to an uninterrupted
    run.

    **Arguments:**

    - `loss`: a scalar function of the parameters (and of a PRNG key if `key` is given;
      a fresh subkey is split off at every step).
    - `params`: initial parameters (any pytree of arrays).
    - `optimiser`: an ``optax.GradientTransformation``.
    - `steps`: total number of steps (including those of a resumed checkpoint).
    - `key`: a PRNG key from ``jax.random.PRNGKey``, for stochastic losses.
    - `checkpoint`, `every`: where and how often to checkpoint.
    - `progress`: show a tqdm progress bar with the loss.
    - `callback`: called as ``callback(step, loss)`` after every step.

    **Returns:** a [`eqcable.FitResult`][].

    **Raises:** `ValueError` if `checkpoint` is unreadable, corrupt, or from another fit;
    `FileNotFoundError` naming the folder if `checkpoint`'s folder does not exist (checked
    before the first step, so no work is lost).
    """
    if not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be an int >= 0, got {steps!r}.")
    if not isinstance(every, int) or every < 1:
        raise ValueError(f"every must be an int >= 1, got {every!r}.")
    opt_state = optimiser.init(params)
    key_data = None if key is None else jnp.asarray(key)
    step, history = 0, []
    path = None if checkpoint is None else check_folder(checkpoint)
    if path is not None and path.exists():
        params, opt_state, key_data, step, history = _load_checkpoint(
            path, (params, opt_state, key_data)
        )

    @filter_jit
    def update(params, opt_state, key_data):
        if key_data is None:
            value, grads = jax.value_and_grad(loss)(params)
            new_key = None
        else:
            new_key, subkey = jax.random.split(key_data)
            value, grads = jax.value_and_grad(loss)(params, subkey)
        updates, opt_state = optimiser.update(grads, opt_state, params)
        params = jax.tree.map(lambda p, u: p + u, params, updates)
        return params, opt_state, new_key, value

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=steps, initial=min(step, steps), desc="fit")
    try:
        while step < steps:
            params, opt_state, key_data, value = update(params, opt_state, key_data)
            step += 1
            history.append(float(value))
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{history[-1]:.4g}")
            if callback is not None:
                callback(step, history[-1])
            if path is not None and (step % every == 0 or step == steps):
                _save_checkpoint(path, params, opt_state, step, history, key_data)
    finally:
        if bar is not None:
            bar.close()
    return FitResult(params, opt_state, step, history, key_data)
