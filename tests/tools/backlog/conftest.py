"""Fixtures of the backlog tool's tests: the real files of a default bake, validated and
planned once.

The tool ships in every project's tools/ folder, unrendered (Jinja-free), so these tests import
it straight from the template and run once here, in the template's CI, instead of in every baked
project. ``plan`` is what ``python -m backlog apply`` would send for a default bake, so tests
that use it test the board a team actually gets.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from backlog.config import ProjectConfig, load_config
from backlog.model import Plan
from backlog.planner import build_plan
from backlog.schema import load_spec
from backlog.spec import BacklogSpec


@pytest.fixture(scope="session")
def project_root(bake) -> Path:
    """The root of a default bake (where project.yml and backlog/ live)."""
    return bake()


@pytest.fixture(autouse=True)
def _run_from_the_project_root(project_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The tool is run from the project's root, as the README and the pipelines run it."""
    monkeypatch.chdir(project_root)


@pytest.fixture(scope="session")
def backlog_path(project_root: Path) -> Path:
    return project_root / "backlog" / "backlog.yml"


@pytest.fixture(scope="session")
def backlog_text(backlog_path: Path) -> str:
    """The backlog file as the team edits it."""
    return backlog_path.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def _backlog_content(backlog_text: str) -> dict:
    return yaml.safe_load(backlog_text)


@pytest.fixture
def backlog_data(_backlog_content: dict) -> dict:
    """A fresh, mutable copy of the backlog file's content (edit it, dump it, validate it)."""
    return copy.deepcopy(_backlog_content)


@pytest.fixture(scope="session")
def spec(backlog_path: Path, project_root: Path) -> BacklogSpec:
    loaded, problems = load_spec(backlog_path, project_root=project_root)
    assert not problems, "\n".join(problems)
    return loaded


@pytest.fixture(scope="session")
def config(project_root: Path) -> ProjectConfig:
    return load_config(project_root)


@pytest.fixture(scope="session")
def plan(spec: BacklogSpec, config: ProjectConfig) -> Plan:
    return build_plan(spec, config)
