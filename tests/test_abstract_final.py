"""Equinox's abstract/final pattern holds for every `eqx.Module` class in eqcable.

A class is either abstract (named ``Abstract...``, no dataclass fields of its own, never
instantiated) or final (never subclassed); concrete methods are implemented once and
never overridden.
"""

import dataclasses
import importlib
import inspect
import pkgutil

import equinox as eqx
import pytest

import eqcable


def _classes() -> list[type]:
    found = {}
    for info in pkgutil.walk_packages(eqcable.__path__, "eqcable."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == info.name and issubclass(cls, eqx.Module):
                found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return sorted(found.values(), key=lambda c: f"{c.__module__}.{c.__qualname__}")


CLASSES = _classes()
# Documented defaults that a subclass may replace (say so in the method's docstring).
DEFAULTS = {
    ("AbstractSynapse", "linearise"),
    ("AbstractChannel", "ion_currents"),
    ("AbstractTreeSolver", "solve"),
    ("AbstractTreeSolver", "solve_eliminated"),
}
ABSTRACT = [c for c in CLASSES if c.__name__.startswith("Abstract")]


def test_the_walk_finds_the_modules():
    names = {c.__name__ for c in CLASSES}
    assert {"AbstractModule", "Cell", "Network", "AbstractModel", "State", "HH"} <= names
    for cls_name, method in DEFAULTS:
        doc = getattr(next(c for c in CLASSES if c.__name__ == cls_name), method).__doc__
        assert "default" in doc.lower(), f"{cls_name}.{method} must say it is a default"


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__qualname__)
def test_only_abstract_classes_are_subclassed(cls):
    children = [c.__qualname__ for c in CLASSES if cls in c.__mro__[1:]]
    if children:
        assert cls.__name__.startswith("Abstract"), f"{cls.__qualname__} has subclasses {children}"


@pytest.mark.parametrize("cls", ABSTRACT, ids=lambda c: c.__qualname__)
def test_abstract_classes_hold_no_fields(cls):
    own = [f.name for f in dataclasses.fields(cls)]
    assert own == [], f"{cls.__qualname__} declares fields {own}; fields belong to final classes"


@pytest.mark.parametrize("cls", ABSTRACT, ids=lambda c: c.__qualname__)
def test_concrete_methods_are_never_overridden(cls):
    concrete = {
        name
        for name, value in vars(cls).items()
        if callable(value) or isinstance(value, property)
        if not getattr(value, "__isabstractmethod__", False) and not name.startswith("__")
        if (cls.__name__, name) not in DEFAULTS
    }
    for sub in CLASSES:
        if cls in sub.__mro__[1:]:
            for klass in sub.__mro__[: sub.__mro__.index(cls)]:
                overridden = concrete & set(vars(klass))
                assert not overridden, f"{klass.__qualname__} overrides {sorted(overridden)}"
