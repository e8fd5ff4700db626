"""Fixtures of the AzureML tests: a throwaway MLflow store, the prepared bundled data and
trained models of known quality for the promotion gate.

Nothing here talks to Azure: definitions are validated offline, the steps run locally and the
workspace is replaced by fakes wherever a command would call it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from aml_support import RAW_DATA

# Imports from the package list one name per line (a magic trailing comma), so that ruff
# formats them the same whatever the length of the package name chosen at bake time.
from {{ cookiecutter.package_name }} import (
    prepare,
    train,
)

# azure-ai-ml warns about experimental classes on every load; the warnings are not findings.
logging.getLogger("azure.ai.ml._utils._experimental").setLevel(logging.ERROR)


def pytest_configure(config: pytest.Config) -> None:
    # azure-ai-ml pins marshmallow 3 and triggers thousands of its deprecation warnings per
    # load; they are about azure-ai-ml's code, not this project's.
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning:marshmallow.*")
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning:azure.ai.ml.*")


@pytest.fixture(scope="session")
def mlflow_uri(mlflow_database: str) -> Iterator[str]:
    """The session's MLflow store, for this process and every step it starts (through the
    environment, as AzureML sets it for a job)."""
    uri = mlflow_database
    previous = {name: os.environ.get(name) for name in ("MLFLOW_TRACKING_URI", "MLFLOW_RUN_ID")}
    os.environ["MLFLOW_TRACKING_URI"] = uri
    os.environ.pop("MLFLOW_RUN_ID", None)
    yield uri
    for name, value in previous.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def prepared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """train.csv and test.csv from the bundled data (the pipeline's default split)."""
    out = tmp_path_factory.mktemp("prepared")
    assert prepare.main(["--raw-data", str(RAW_DATA), "--output-dir", str(out)]) == 0
    return out


def _train(out: Path, prepared: Path, *extra: str) -> Path:
    assert train.main(["--train-data", str(prepared), "--model-output", str(out), *extra]) == 0
    return out


@pytest.fixture(scope="session")
def good_model(tmp_path_factory, prepared_dir: Path, mlflow_uri: str) -> Path:
    """A forest with the default settings: near-perfect on penguins."""
    return _train(tmp_path_factory.mktemp("good") / "model", prepared_dir)


@pytest.fixture(scope="session")
def weak_model(tmp_path_factory, prepared_dir: Path, mlflow_uri: str) -> Path:
    """One tree of depth 1: it can tell at most two species apart, so clearly worse."""
    out = tmp_path_factory.mktemp("weak") / "model"
    return _train(out, prepared_dir, "--n-estimators", "1", "--max-depth", "1")
