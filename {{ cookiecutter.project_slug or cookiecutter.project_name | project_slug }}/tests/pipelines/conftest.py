"""Fixtures of the pipeline tests. The scripts in tools/pipelines are standalone programs
that import each other by module name, so their folder goes on sys.path here."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PIPELINES = ROOT / "pipelines"
sys.path.insert(0, str(ROOT / "tools" / "pipelines"))


@pytest.fixture(scope="session")
def validator():
    """The schema validator (building it reads the 1.6 MB vendored schema: once per session)."""
    import validate_pipelines

    return validate_pipelines.build_validator()


@pytest.fixture
def pipelines_copy(tmp_path: Path) -> Path:
    """A private copy of pipelines/ that a test may break on purpose."""
    copy = tmp_path / "pipelines"
    shutil.copytree(PIPELINES, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


@pytest.fixture(scope="session")
def project_settings() -> dict:
    import yaml

    return yaml.safe_load((ROOT / "project.yml").read_text(encoding="utf-8"))["project"]
