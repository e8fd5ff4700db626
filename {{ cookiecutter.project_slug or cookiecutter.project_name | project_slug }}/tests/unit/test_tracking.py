"""tracked_run: start a run when none exists, join or resume the one that does."""

from __future__ import annotations

import mlflow
import pytest
from mlflow.tracking import MlflowClient

from {{ cookiecutter.package_name }}.tracking import (
    tracked_run,
)


def test_starts_a_named_run_and_ends_it() -> None:
    with tracked_run("train") as run:
        mlflow.log_metric("answer", 42)

    stored = MlflowClient().get_run(run.info.run_id)
    assert mlflow.active_run() is None
    assert stored.info.status == "FINISHED"
    assert stored.info.run_name == "train"
    assert stored.data.tags["step"] == "train"
    assert stored.data.metrics["answer"] == 42


def test_joins_an_active_run_and_leaves_it_open() -> None:
    with mlflow.start_run() as outer:
        with tracked_run("evaluate") as inner:
            mlflow.log_metric("joined", 1)
        assert inner.info.run_id == outer.info.run_id
        assert mlflow.active_run() is not None

    assert MlflowClient().get_run(outer.info.run_id).data.metrics["joined"] == 1


def test_resumes_the_platform_run_without_renaming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    client = MlflowClient()
    experiment = client.get_experiment_by_name("unit-tests")
    job_run = client.create_run(experiment.experiment_id, run_name="azureml-job-42")
    monkeypatch.setenv("MLFLOW_RUN_ID", job_run.info.run_id)

    with tracked_run("train") as run:
        mlflow.log_metric("from_step", 1)

    stored = client.get_run(job_run.info.run_id)
    assert run.info.run_id == job_run.info.run_id
    assert stored.info.run_name == "azureml-job-42"
    assert stored.data.metrics["from_step"] == 1


def test_a_failing_step_marks_its_run_failed() -> None:
    with pytest.raises(RuntimeError), tracked_run("train") as run:
        raise RuntimeError("boom")

    assert MlflowClient().get_run(run.info.run_id).info.status == "FAILED"
