"""What every test of this project shares."""

import os
from pathlib import Path

import pytest

# Test modules import MLflow before this project's package (which turns MLflow's usage
# telemetry off for every step); the tests must not phone home either.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


@pytest.fixture(scope="session")
def mlflow_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The tracking URI of one SQLite MLflow store for the whole session, in a tmp dir.

    Creating its schema takes seconds, so the unit and the AzureML tests share it (each in
    experiments of their own). It is created from its tmp dir, so MLflow's default artifact
    folder lands there too, never in the project.
    """
    from mlflow.tracking import MlflowClient

    root = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    cwd = Path.cwd()
    os.chdir(root)
    try:
        MlflowClient(tracking_uri=uri).search_experiments()  # creates the schema once
    finally:
        os.chdir(cwd)
    return uri
