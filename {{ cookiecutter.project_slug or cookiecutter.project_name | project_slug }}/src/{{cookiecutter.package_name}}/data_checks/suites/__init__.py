"""Every dataset's suite, one module each: drop a module that defines ``SUITE`` here.

``discover()`` imports the modules of this package in name order (skipping names that start
with ``_``) and returns their ``SUITE`` objects. No registry to edit: the file is the suite.
Importing a suite module never imports great-expectations; the suite builds its
expectations inside a function that only the runner calls.
"""

from __future__ import annotations

import importlib
import pkgutil

from ..model import DataCheckError, Suite


def discover() -> list[Suite]:
    """The suites defined in this package, by module name; each name must be unique."""
    suites: list[Suite] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda module: module.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        suite = getattr(module, "SUITE", None)
        if not isinstance(suite, Suite):
            raise DataCheckError(f"{module.__name__} defines no SUITE = Suite(...)")
        if any(known.name == suite.name for known in suites):
            raise DataCheckError(f"two suites are named {suite.name!r}; names must be unique")
        suites.append(suite)
    return suites
