"""Where a step's MLflow params, metrics and artifacts go, without naming a tracking server.

MLflow is configured by its own environment variables, never by this code:

- locally nothing needs setting: MLflow 3 writes to ``sqlite:///mlflow.db`` in the current
  directory (``MLFLOW_TRACKING_URI`` and ``MLFLOW_EXPERIMENT_NAME`` override it);
- inside an AzureML job the platform sets ``MLFLOW_TRACKING_URI`` to the workspace and
  ``MLFLOW_RUN_ID`` to the job's own run, so ``mlflow.start_run()`` resumes that run and the
  metrics appear on the job's page.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import mlflow


@contextmanager
def tracked_run(step: str) -> Iterator[mlflow.ActiveRun]:
    """Yield the MLflow run this step should log to, opening one only when needed.

    - A run already active in this process (a notebook, a parent script) is joined and left
      open: its owner ends it.
    - A run named by ``MLFLOW_RUN_ID`` (AzureML) is resumed under its own name.
    - Otherwise a new run named after the step is started.
    A run this function started or resumed is ended on exit, and marked FAILED if the step
    raised.
    """
    active = mlflow.active_run()
    if active is not None:
        yield active
        return
    # Renaming the platform's run would hide the job name it shows in the studio.
    resuming = bool(os.environ.get("MLFLOW_RUN_ID"))
    with mlflow.start_run(run_name=None if resuming else step) as run:
        mlflow.set_tag("step", step)
        yield run
