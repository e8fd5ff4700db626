"""The four steps chained as the Makefile and the AzureML pipeline chain them."""

from __future__ import annotations

import json
import time
from pathlib import Path

import mlflow
import pandas as pd
import pytest

from {{ cookiecutter.package_name }} import (
    evaluate,
    prepare,
    score,
    train,
)


@pytest.mark.slow
def test_prepare_train_evaluate_score_on_the_bundled_data(
    raw_data: Path, sample_request: Path, tmp_path: Path
) -> None:
    prepared, model, evaluation = tmp_path / "prepared", tmp_path / "model", tmp_path / "eval"
    scores = tmp_path / "scores.csv"
    started_ms = int(time.time() * 1000)

    assert prepare.main(["--raw-data", str(raw_data), "--output-dir", str(prepared)]) == 0
    assert train.main(["--train-data", str(prepared), "--model-output", str(model)]) == 0
    assert (
        evaluate.main(
            ["--model", str(model), "--test-data", str(prepared), "--output-dir", str(evaluation)]
        )
        == 0
    )
    assert (
        score.main(["--model", str(model), "--input", str(sample_request), "--output", str(scores)])
        == 0
    )

    assert json.loads((evaluation / "metrics.json").read_text())["macro_f1"] > 0.9
    assert len(pd.read_csv(scores)) == len(pd.read_csv(sample_request))
    new_runs = mlflow.search_runs(
        filter_string=f"attributes.start_time >= {started_ms}", output_format="list"
    )
    assert sorted(run.data.tags["step"] for run in new_runs) == ["evaluate", "train"]
