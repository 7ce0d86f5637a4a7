"""Every public function, class and method of csc_core documents its parameters and what it returns (numpydoc)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import csc_core

numpydoc_validate = pytest.importorskip("numpydoc.validate")

#: numpydoc's checks enforced here: no docstring, parameters undocumented or unknown, no Returns / Yields section.
CODES = {"GL08", "PR01", "PR02", "RT01", "YD01"}


def public_objects() -> list[str]:
    """Qualified names of every public function, class and method defined in a public module of csc_core."""
    names = []
    modules = ["csc_core", *(m.name for m in pkgutil.walk_packages(csc_core.__path__, "csc_core."))]
    for module_name in modules:
        if any(part.startswith("_") for part in module_name.split(".")[1:]):
            continue
        module = importlib.import_module(module_name)
        for attr, obj in vars(module).items():
            if attr.startswith("_") or getattr(obj, "__module__", None) != module_name:
                continue
            if inspect.isfunction(obj):
                names.append(f"{module_name}.{attr}")
            elif inspect.isclass(obj):
                names.append(f"{module_name}.{attr}")
                for member, value in vars(obj).items():
                    if not member.startswith("_") and (
                        inspect.isfunction(value) or isinstance(value, (classmethod, staticmethod, property))
                    ):
                        names.append(f"{module_name}.{attr}.{member}")
    return names


def test_the_walk_finds_the_api():
    names = set(public_objects())
    assert {"csc_core.api.contrastive_sc", "csc_core.api.fit", "csc_core.model.ContrastiveModel.embed"} <= names
    assert len(names) > 150


def test_every_public_object_documents_parameters_and_returns():
    problems = {}
    for name in public_objects():
        errors = [code for code, _ in numpydoc_validate.validate(name)["errors"] if code in CODES]
        if errors:
            problems[name] = errors
    assert not problems, "\n".join(f"{name}: {' '.join(codes)}" for name, codes in sorted(problems.items()))
