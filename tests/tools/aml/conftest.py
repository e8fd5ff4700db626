"""Fixtures of the AzureML tool's tests: a bake per kind of deployment (what the tool reads:
project.yml, aml/, src/), the online one as the working directory, and a private copy to break.

tools/aml_tool is copied unrendered into every project and reads what the project deploys from
its project.yml at run time, so the template's own copy (on sys.path from tests/tools) is the
code under test and a bake only provides the files it works on.
"""

from __future__ import annotations

import logging
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from deployments import ANSWERS

# azure-ai-ml warns about experimental classes on every load; the warnings are not findings.
logging.getLogger("azure.ai.ml._utils._experimental").setLevel(logging.ERROR)


def pytest_configure(config: pytest.Config) -> None:
    # azure-ai-ml pins marshmallow 3 and triggers thousands of its deprecation warnings per
    # load; they are about azure-ai-ml's code, not the tool's.
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning:marshmallow.*")
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning:azure.ai.ml.*")


@pytest.fixture(scope="session")
def project_of(bake) -> Callable[[str], Path]:
    """``project_of("online"|"batch"|"none")``: that kind's bake, shared: do not change it."""
    return lambda deployment: bake(**ANSWERS[deployment])


@pytest.fixture
def online(project_of, monkeypatch) -> Path:
    """The online bake, also the working directory (the tool's defaults are relative to it)."""
    root = project_of("online")
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def copy_of(tmp_path: Path, project_of) -> Callable[[str], Path]:
    """``copy_of(kind)``: a private copy of what the definitions refer to (aml/, src/, data/,
    project.yml), for tests that break a file on purpose."""

    def _copy(deployment: str) -> Path:
        source, copy = project_of(deployment), tmp_path / f"project-{deployment}"
        for name in ("aml", "src", "data"):
            shutil.copytree(
                source / name,
                copy / name,
                ignore=shutil.ignore_patterns("__pycache__", "mlruns", "*.egg-info"),
            )
        shutil.copy2(source / "project.yml", copy / "project.yml")
        return copy

    return _copy


@pytest.fixture
def python() -> str:
    """The interpreter running the tests (the one with the project's dependencies)."""
    return sys.executable
