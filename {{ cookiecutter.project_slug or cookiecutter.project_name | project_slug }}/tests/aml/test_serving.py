"""The scoring scripts of the endpoints: requests are checked against the data schema, bad ones
get a one-line reason, good ones get a species and probabilities per row."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from aml_support import {% if cookiecutter.deployment == "online" %}ONLINE_SAMPLE, {% endif %}SAMPLE_REQUEST

from {{ cookiecutter.package_name }}.serving import (
    batch_score,
    request,
    score,
)

COLUMNS = ["island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "sex"]
ROW = ["Biscoe", 46.1, 13.2, 211.0, 4500.0, "female"]


def split_body(columns: list[str], rows: list[list]) -> str:
    return json.dumps({"input_data": {"columns": columns, "data": rows}})


@pytest.fixture
def model_root(tmp_path: Path, good_model: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """AZUREML_MODEL_DIR as AzureML lays it out: the MLflow model one folder down."""
    root = tmp_path / "azureml-models" / "penguins" / "3"
    shutil.copytree(good_model, root / "model_output")
    monkeypatch.setenv("AZUREML_MODEL_DIR", str(root))
    return root


def test_both_request_forms_give_the_same_typed_frame():
    records = json.dumps({"input_data": [dict(zip(COLUMNS, ROW, strict=True))]})

    split = request.parse_request(split_body(COLUMNS, [ROW]))

    assert split.equals(request.parse_request(records))
    assert set(split.columns) == set(COLUMNS)
    assert split["body_mass_g"].dtype == "float64"


BAD_REQUESTS = {
    "not JSON": ("{input_data", "request is not valid JSON"),
    "no input_data": (json.dumps({"data": []}), "request must be a JSON object with an"),
    "missing column": (
        split_body(COLUMNS[1:], [ROW[1:]]),
        "input_data: missing required column 'island'",
    ),
    "text in a number column": (
        split_body(COLUMNS, [[*ROW[:4], "heavy", ROW[5]]]),
        "column 'body_mass_g' must be a number; row 0 has 'heavy'",
    ),
    "number in a category column": (
        split_body(COLUMNS, [[3, *ROW[1:]]]),
        "column 'island' must be text; row 0 has 3",
    ),
    "row of the wrong length": (
        split_body(COLUMNS, [ROW, ROW[:5]]),
        "input_data.data[1] must be a list of 6 values, one per column",
    ),
    "no rows": (split_body(COLUMNS, []), "input_data has no rows to score"),
}


@pytest.mark.parametrize("case", list(BAD_REQUESTS), ids=list(BAD_REQUESTS))
def test_bad_request_names_the_problem(case):
    body, expected = BAD_REQUESTS[case]

    with pytest.raises(request.RequestError) as caught:
        request.parse_request(body)

    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_online_script_scores_and_rejects(model_root: Path):
    score.init()

    good = score.run(split_body(COLUMNS, [ROW, [*ROW[:5], None]]))
    bad = score.run(split_body(COLUMNS[1:], [ROW[1:]]))

    assert good["predictions"] == ["Gentoo", "Gentoo"]
    assert all(sum(p.values()) == pytest.approx(1.0) for p in good["probabilities"])
    assert bad == {"error": "input_data: missing required column 'island'"}
{%- if cookiecutter.deployment == "online" %}


def test_the_documented_sample_request_scores(model_root: Path):
    score.init()

    answer = score.run(ONLINE_SAMPLE.read_text(encoding="utf-8"))

    rows = json.loads(ONLINE_SAMPLE.read_text(encoding="utf-8"))["input_data"]["data"]
    assert len(answer["predictions"]) == len(rows)
{%- endif %}


def test_batch_script_scores_every_row_of_every_file(model_root: Path, tmp_path: Path):
    second = tmp_path / "second.csv"
    shutil.copy(SAMPLE_REQUEST, second)
    batch_score.init()

    scored = batch_score.run([str(SAMPLE_REQUEST), str(second)])

    rows = len(SAMPLE_REQUEST.read_text(encoding="utf-8").splitlines()) - 1
    assert len(scored) == 2 * rows
    assert set(scored["source_file"]) == {SAMPLE_REQUEST.name, "second.csv"}
    assert scored["predicted_species"].isin(["Adelie", "Chinstrap", "Gentoo"]).all()


def test_scripts_refuse_to_start_without_a_model(monkeypatch: pytest.MonkeyPatch, tmp_path):
    monkeypatch.delenv("AZUREML_MODEL_DIR", raising=False)
    with pytest.raises(RuntimeError, match="AZUREML_MODEL_DIR is not set"):
        score.init()
    monkeypatch.setenv("AZUREML_MODEL_DIR", str(tmp_path))
    with pytest.raises(RuntimeError, match="no MLflow model"):
        score.init()
