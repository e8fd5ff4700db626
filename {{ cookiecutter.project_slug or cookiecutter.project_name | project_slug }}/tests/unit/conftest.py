"""Fixtures for the ML code's unit tests: the bundled data, a throwaway MLflow store, and the
prepared data and model that several tests read (built once per session, in tmp dirs)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import mlflow
import pytest
from mlflow.tracking import MlflowClient

# Imports from the package list one name per line (a magic trailing comma), so that ruff
# formats them the same whatever the length of the package name chosen at bake time.
from {{ cookiecutter.package_name }} import (
    prepare,
    train,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
RAW_DATA = PROJECT_ROOT / "data" / "raw" / "penguins.csv"
SAMPLE_REQUEST = PROJECT_ROOT / "data" / "sample" / "request.csv"
EXPERIMENT = "unit-tests"


@pytest.fixture(scope="session")
def mlflow_store(tmp_path_factory: pytest.TempPathFactory, mlflow_database: str) -> str:
    """The session's MLflow store with the unit tests' own experiment, whose artifacts stay
    in a tmp dir too, never in the project's ./mlruns."""
    artifacts = tmp_path_factory.mktemp("unit-artifacts")
    MlflowClient(tracking_uri=mlflow_database).create_experiment(
        EXPERIMENT, artifact_location=artifacts.as_uri()
    )
    return mlflow_database


def _point_mlflow_at(monkeypatch: pytest.MonkeyPatch, uri: str) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", EXPERIMENT)
    for name in ("MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_ID"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def isolated_mlflow(mlflow_store: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Every test logs to the session's tmp store, and no test leaves a run open."""
    _point_mlflow_at(monkeypatch, mlflow_store)
    yield mlflow_store
    while mlflow.active_run() is not None:
        mlflow.end_run()


@pytest.fixture(scope="session")
def prepared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """train.csv and test.csv made from the bundled data with the default split."""
    out = tmp_path_factory.mktemp("prepared")
    assert prepare.main(["--raw-data", str(RAW_DATA), "--output-dir", str(out)]) == 0
    return out


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory, prepared_dir: Path, mlflow_store: str):
    """A model trained with the default settings on ``prepared_dir``."""
    out = tmp_path_factory.mktemp("model") / "model"
    with pytest.MonkeyPatch.context() as monkeypatch:
        _point_mlflow_at(monkeypatch, mlflow_store)
        status = train.main(["--train-data", str(prepared_dir), "--model-output", str(out)])
    assert status == 0
    return out


@pytest.fixture
def raw_data() -> Path:
    """The bundled raw data file."""
    return RAW_DATA


@pytest.fixture
def sample_request() -> Path:
    """The bundled five-row scoring request."""
    return SAMPLE_REQUEST


@pytest.fixture
def stderr_lines(capsys: pytest.CaptureFixture[str]):
    """A function returning the non-empty lines written to stderr since the last call."""

    def read() -> list[str]:
        return [line for line in capsys.readouterr().err.splitlines() if line.strip()]

    return read
