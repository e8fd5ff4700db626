"""What every test of this project shares."""

import os
import shutil
import sqlite3

import pytest

# Test modules import MLflow before this project's package (which turns MLflow's usage
# telemetry off for every step); the tests must not phone home either.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


@pytest.fixture(scope="session")
def mlflow_database(request: pytest.FixtureRequest, tmp_path_factory) -> str:
    """The tracking URI of one SQLite MLflow store for the whole session, in a tmp dir.

    Creating its schema takes seconds (MLflow runs every migration), so the unit and the
    AzureML tests share one, and an empty store is kept in pytest's cache (.pytest_cache), one
    per MLflow version, and copied. The default experiment keeps its artifacts in the
    session's tmp dir, never in the project.
    """
    import mlflow
    from mlflow.tracking import MlflowClient

    root = tmp_path_factory.mktemp("mlflow")
    database = root / "mlflow.db"
    cache = getattr(request.config, "cache", None)  # None with -p no:cacheprovider
    empty = cache.mkdir("mlflow-store") / f"empty-{mlflow.__version__}.db" if cache else None
    if empty is not None and empty.is_file():
        shutil.copyfile(empty, database)
    else:
        MlflowClient(tracking_uri=f"sqlite:///{database}").search_experiments()  # the schema
        if empty is not None:
            # Whole or not at all: parallel workers (make test) may both get here.
            partial = empty.with_suffix(f".{os.getpid()}.partial")
            shutil.copyfile(database, partial)
            partial.replace(empty)
    with sqlite3.connect(database) as connection:
        connection.execute(
            "UPDATE experiments SET artifact_location = ? WHERE experiment_id = 0",
            (str(root / "mlruns" / "0"),),
        )
    return f"sqlite:///{database}"
