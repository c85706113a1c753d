"""What the Python code `read_nmodl` generates calls: NMODL's variables during a block,
``if``/``else`` on arrays, the integration methods, and NMODL's math functions.

NMODL is imperative: a block assigns variables in order, branches with ``if``, calls
procedures that set the mechanism's variables. The generated code keeps that shape. Its
variables live in an `Env`: the block's locals over the mechanism's variables (parameters,
states, assigned variables, ion quantities, ``v``, ``celsius``, ``dt``), read and written
as attributes (``s.minf = s.alpha / s.sum``). Every value is an array (one per compartment
or connection), so an ``if`` runs both branches on copies (`fork`) and merges what they
assigned (`join`, a ``where`` per variable).
"""

import jax
import jax.numpy as jnp

__all__ = [
    "Env",
    "local",
    "variables",
    "fork",
    "join",
    "cnexp",
    "euler",
    "derivimplicit",
    "sparse",
    "flux",
    "STEADY_STATE_DT",
    "neuron_slope",
    "exp",
    "log",
    "log10",
    "fabs",
    "sqrt",
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "atan2",
    "sinh",
    "cosh",
    "tanh",
    "floor",
    "ceil",
    "fmod",
    "pow",
    "fmin",
    "fmax",
    "erf",
    "erfc",
]

exp, log, log10, fabs, sqrt = jnp.exp, jnp.log, jnp.log10, jnp.abs, jnp.sqrt
sin, cos, tan, asin, acos, atan, atan2 = (
    jnp.sin,
    jnp.cos,
    jnp.tan,
    jnp.arcsin,
    jnp.arccos,
    jnp.arctan,
    jnp.arctan2,
)
sinh, cosh, tanh, floor, ceil, fmod = jnp.sinh, jnp.cosh, jnp.tanh, jnp.floor, jnp.ceil, jnp.fmod
pow, fmin, fmax = jnp.power, jnp.minimum, jnp.maximum  # noqa: A001 (NMODL's names)
erf, erfc = jax.scipy.special.erf, jax.scipy.special.erfc


class Layer:
    """Variables by name; with a `parent`, an overlay: reads fall through to the parent
    (guarded by `cond`, see `fork`), writes stay here."""

    def __init__(self, values=None, parent=None, cond=None):
        self.values = dict(values or {})
        self.parent, self.cond = parent, cond
        self.written: set[str] = set()

    def has(self, name: str) -> bool:
        return name in self.values or (self.parent is not None and self.parent.has(name))

    def get(self, name: str):
        if name in self.values:
            return self.values[name]
        x = self.parent.get(name)
        if self.cond is not None:
            x = _guard(self.cond, x)
            self.values[name] = x  # a read, not a write: not in `written`
        return x

    def set(self, name: str, x) -> None:
        self.values[name] = x
        self.written.add(name)


class Env:
    """The variables a block sees: its `locals` (arguments and ``LOCAL`` variables), then
    the mechanism's variables (`globals`). Read and assigned as attributes."""

    __slots__ = ("locals_", "globals_")

    def __init__(self, locals_: Layer, globals_: Layer):
        object.__setattr__(self, "locals_", locals_)
        object.__setattr__(self, "globals_", globals_)

    def __getattr__(self, name: str):
        layer = self.locals_ if self.locals_.has(name) else self.globals_
        try:
            return layer.get(name)
        except (KeyError, AttributeError):
            raise NameError(f"NMODL variable {name!r} is not defined here.") from None

    def __setattr__(self, name: str, x) -> None:
        (self.locals_ if self.locals_.has(name) else self.globals_).set(name, x)

    # ``s["m'"]``: the derivative of state ``m`` in a DERIVATIVE block (a name no NMODL
    # variable can have).
    __getitem__ = __getattr__
    __setitem__ = __setattr__


def local(env: Env, values: dict) -> Env:
    """The environment of a block or a called FUNCTION or PROCEDURE: its arguments and
    locals `values` (by name) over the mechanism's variables of `env` (not its locals)."""
    return Env(Layer(values), env.globals_)


def variables(values: dict) -> Env:
    """The environment of a mechanism's variables `values` (by name), no locals."""
    return Env(Layer(), Layer(values))


def _guard(cond, x):
    # A value read inside a branch: the same value, but no gradient flows back to it from
    # the elements where the branch is not taken. Otherwise a branch that is not taken
    # and is singular there (``x / (exp(x) − 1)`` at 0) would send 0 · ∞ = NaN back.
    return jnp.where(cond, x, jax.lax.stop_gradient(x))


def fork(env: Env, cond) -> tuple[Env, Env]:
    """The environments of the two branches of ``if (cond)``: each reads the variables as
    they are and keeps what it assigns to itself."""
    cond = jnp.asarray(cond)
    return tuple(
        Env(Layer(parent=env.locals_, cond=c), Layer(parent=env.globals_, cond=c))
        for c in (cond, ~cond)
    )


def join(env: Env, cond, then: Env, other: Env) -> None:
    """Assign in `env` what either branch assigned: the `then` branch's value where
    `cond` holds, the `other`'s elsewhere."""
    for mine, a, b in (
        (env.locals_, then.locals_, other.locals_),
        (env.globals_, then.globals_, other.globals_),
    ):
        for name in sorted(a.written | b.written):
            if not mine.has(name):
                continue  # a LOCAL declared inside the branch
            mine.set(name, jnp.where(cond, a.get(name), b.get(name)))


def _trial(env: Env, names, values, **marks) -> Env:
    """An overlay of `env` with the states `names` at trial `values` (and `marks`, e.g.
    `JACOBIAN`), for evaluating a block without touching `env`."""
    sub = Env(Layer(parent=env.locals_), Layer(marks, parent=env.globals_))
    for n, x in zip(names, values, strict=True):
        setattr(sub, n, x)
    return sub


def cnexp(env: Env, name: str, rhs, dt):
    """NEURON's ``cnexp`` for one equation ``x' = rhs`` linear in ``x``: the exact
    solution over `dt` of ``x' = a + b x``, with ``a`` and ``b`` taken at the present
    values of everything else: ``x + (1 − exp(b dt)) (−a/b − x)``, or ``x + a dt`` where
    ``b = 0``."""
    x = getattr(env, name)
    f, b = jax.jvp(lambda y: rhs(_trial(env, (name,), (y,))), (x,), (jnp.ones_like(x),))
    a = f - b * x
    zero = b == 0
    safe_b = jnp.where(zero, 1.0, b)
    return jnp.where(zero, x + a * dt, x + (1.0 - jnp.exp(dt * safe_b)) * (-a / safe_b - x))


def euler(env: Env, names, rhs, dt):
    """NEURON's ``euler``: every state advances by ``dt`` times its derivative at the
    present values."""
    values = tuple(getattr(env, n) for n in names)
    d = rhs(env)
    return tuple(x + dt * dx for x, dx in zip(values, d, strict=True))


#: Newton iterations of `derivimplicit` (quadratic convergence: linear equations are
#: solved by the first, mildly nonlinear ones to round-off by the third).
NEWTON_ITERATIONS = 4


def derivimplicit(env: Env, names, rhs, dt):
    """NEURON's ``derivimplicit``: backward Euler, ``x₁ = x₀ + dt f(x₁)`` for all the
    block's states together, solved by Newton's method (`NEWTON_ITERATIONS` steps, each
    with the exact Jacobian of every compartment's small system)."""
    return _backward_euler(env, names, rhs, dt, None)


def sparse(env: Env, names, rhs, dt, conserve):
    """NEURON's ``sparse`` for a KINETIC scheme: backward Euler on its mass-action
    equations, by Newton's method as NEURON iterates it: each CONSERVE statement replaces
    the equation of the last state it names (`conserve` gives ``(index, residual)``
    pairs), states are kept >= 0, and a compartment stops iterating once the sum of its
    last changes is <= `SPARSE_CONVERGE` (at most `SPARSE_ITERATIONS` iterations)."""
    return _backward_euler(env, names, rhs, dt, conserve, neuron_rule=True)


#: The variable that tells a KINETIC block it is being differentiated for the Newton
#: matrix of `sparse` (no NMODL name can clash with it).
JACOBIAN = "<jacobian>"


def flux(env: Env, value):
    """A ``~ x << (value)`` flux: part of the equations, but, as in NEURON's ``sparse``,
    not of the Newton matrix (its dependence on the states is left out there)."""
    try:
        frozen = env.globals_.get(JACOBIAN)
    except (KeyError, AttributeError):
        frozen = False
    return jax.lax.stop_gradient(value) if frozen else value


#: NEURON's convergence bound of ``sparse``: the sum of |change| of the states in the
#: last Newton iteration (in their units).
SPARSE_CONVERGE = 1e-6
#: The most Newton iterations of `sparse` per step (NEURON allows 20; converging
#: quadratically, schemes need 1 to 3).
SPARSE_ITERATIONS = 8


#: The time step of a steady state (``SOLVE … STEADYSTATE``): one backward-Euler step
#: this long (ms) lands on the steady state of the block's equations.
STEADY_STATE_DT = 1e9


def _backward_euler(env: Env, names, rhs, dt, conserve, neuron_rule=False):
    x0 = tuple(jnp.asarray(getattr(env, n)) for n in names)
    n = len(names)

    def residual(*xs, jacobian=False):
        sub = _trial(env, names, xs, **{JACOBIAN: jacobian})
        f = rhs(sub)
        r = [x - x_0 - dt * fx for x, x_0, fx in zip(xs, x0, f, strict=True)]
        for index, value in conserve(sub) if conserve is not None else ():
            r[index] = value + 0.0 * xs[index]
        return tuple(r)

    x = x0
    active = True  # NEURON's rule: whether each compartment is still iterating
    for _ in range(SPARSE_ITERATIONS if neuron_rule else NEWTON_ITERATIONS):
        columns = []
        for j in range(n):
            tangent = tuple(
                jnp.ones_like(xi) if i == j else jnp.zeros_like(xi) for i, xi in enumerate(x)
            )
            _, col = jax.jvp(lambda *xs: residual(*xs, jacobian=neuron_rule), x, tangent)
            columns.append(col)
        r = residual(*x)
        r = jnp.stack(jnp.broadcast_arrays(*r), -1)
        jac = jnp.stack([jnp.stack(jnp.broadcast_arrays(*c), -1) for c in columns], -1)
        if n == 1:
            step = r / jac[..., 0]
        else:
            step = jnp.linalg.solve(jac, r[..., None])[..., 0]
        if not neuron_rule:
            x = tuple(xi - step[..., i] for i, xi in enumerate(x))
            continue
        new = [jnp.maximum(xi - step[..., i], 0.0) for i, xi in enumerate(x)]
        x = tuple(jnp.where(active, xn, xi) for xn, xi in zip(new, x, strict=True))
        active = active & (jnp.sum(jnp.abs(step), axis=-1) > SPARSE_CONVERGE)
    return x


#: NEURON's voltage increment for a mechanism's conductance (mV).
NEURON_DV = 0.001


def neuron_slope(current, v):
    """NEURON's linearisation of a current: ``i(v)`` and the slope ``(i(v + 0.001) −
    i(v)) / 0.001`` (a forward difference, where eqcable's default is the exact
    derivative)."""
    i = current(v)
    return i, (current(v + NEURON_DV) - i) / NEURON_DV
