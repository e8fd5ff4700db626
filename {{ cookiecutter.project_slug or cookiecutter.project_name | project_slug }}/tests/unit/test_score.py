"""score: predictions and probabilities for a request, and clear refusals of bad requests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from {{ cookiecutter.package_name }} import (
    score,
)
from {{ cookiecutter.package_name }}.data import (
    CLASSES,
)
from {{ cookiecutter.package_name }}.score import (
    PREDICTION_COLUMN,
    PROBABILITY_PREFIX,
)


def run_score(model: Path, request: Path, out: Path) -> int:
    return score.main(["--model", str(model), "--input", str(request), "--output", str(out)])


def test_sample_request_gets_a_species_and_probabilities_per_row(
    model_dir: Path, sample_request: Path, tmp_path: Path
) -> None:
    request = pd.read_csv(sample_request)

    assert run_score(model_dir, sample_request, tmp_path / "scores.csv") == 0

    scores = pd.read_csv(tmp_path / "scores.csv")
    probability_columns = [f"{PROBABILITY_PREFIX}{label}" for label in CLASSES]
    assert list(scores.columns) == [*request.columns, PREDICTION_COLUMN, *probability_columns]
    assert len(scores) == len(request)
    assert scores["island"].tolist() == request["island"].tolist()
    assert scores[probability_columns].sum(axis=1).to_numpy() == pytest.approx(1.0, abs=1e-5)
    most_likely = scores[probability_columns].idxmax(axis=1).str.removeprefix(PROBABILITY_PREFIX)
    assert scores[PREDICTION_COLUMN].tolist() == most_likely.tolist()


def test_caller_columns_are_carried_through(
    model_dir: Path, sample_request: Path, tmp_path: Path
) -> None:
    request = pd.read_csv(sample_request)
    request.insert(0, "request_id", [f"req-{i}" for i in range(len(request))])
    request.to_csv(tmp_path / "request.csv", index=False)

    assert run_score(model_dir, tmp_path / "request.csv", tmp_path / "scores.csv") == 0

    scores = pd.read_csv(tmp_path / "scores.csv")
    assert scores["request_id"].tolist() == request["request_id"].tolist()


def test_missing_column_fails_with_one_line_naming_it(
    model_dir: Path, sample_request: Path, tmp_path: Path, stderr_lines
) -> None:
    pd.read_csv(sample_request).drop(columns=["bill_depth_mm"]).to_csv(
        tmp_path / "request.csv", index=False
    )

    status = run_score(model_dir, tmp_path / "request.csv", tmp_path / "scores.csv")

    assert status == 1
    assert stderr_lines() == ["score: error: request.csv: missing required column 'bill_depth_mm'"]
    assert not (tmp_path / "scores.csv").exists()


def test_text_in_a_numeric_column_is_named_with_its_line(
    model_dir: Path, sample_request: Path, tmp_path: Path, stderr_lines
) -> None:
    request = pd.read_csv(sample_request, dtype=str)
    request.loc[1, "body_mass_g"] = "4.2kg"
    request.to_csv(tmp_path / "request.csv", index=False)

    status = run_score(model_dir, tmp_path / "request.csv", tmp_path / "scores.csv")

    assert status == 1
    assert stderr_lines() == [
        "score: error: request.csv: column 'body_mass_g' must be a number; line 3 has '4.2kg'"
    ]


def test_header_only_request_is_rejected(
    model_dir: Path, sample_request: Path, tmp_path: Path, stderr_lines
) -> None:
    header = sample_request.read_text(encoding="utf-8").splitlines()[0]
    (tmp_path / "request.csv").write_text(header + "\n", encoding="utf-8")

    assert run_score(model_dir, tmp_path / "request.csv", tmp_path / "scores.csv") == 1
    assert "no rows to score" in stderr_lines()[0]


@pytest.mark.parametrize(
    ("model", "request_file", "output", "flag"),
    [
        ("missing-model", "sample", "scores.csv", "--model"),
        ("model", "missing.csv", "scores.csv", "--input"),
        ("model", "sample", ".", "--output"),
    ],
)
def test_bad_paths_exit_2_naming_the_flag(
    model_dir: Path,
    sample_request: Path,
    tmp_path: Path,
    stderr_lines,
    model: str,
    request_file: str,
    output: str,
    flag: str,
) -> None:
    model_path = model_dir if model == "model" else tmp_path / model
    request_path = sample_request if request_file == "sample" else tmp_path / request_file

    status = run_score(model_path, request_path, tmp_path / output)

    lines = stderr_lines()
    assert status == 2
    assert len(lines) == 1
    assert lines[0].startswith("score: error: ")
    assert flag in lines[0]
