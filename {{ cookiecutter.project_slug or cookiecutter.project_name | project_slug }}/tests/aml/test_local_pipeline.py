"""The training pipeline's steps run here, in order, with exactly the commands of the component
YAML files (what AzureML would run), each reading the outputs of the steps before it. The
final model then answers a sample request through the online scoring script."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from aml_support import AML_DIR, PACKAGE, RAW_DATA, SAMPLE_REQUEST

from aml_tool import (
    local_run,
    wiring,
)
from {{ cookiecutter.package_name }}.serving import (
    score,
)

PIPELINE = AML_DIR / "pipelines" / "train.yml"


def runner(work_dir: Path, **overrides: str) -> local_run.LocalPipelineRun:
    return local_run.LocalPipelineRun(
        wiring.PipelineSpec.read(PIPELINE),
        work_dir,
        data_assets=local_run.local_data_assets(AML_DIR),
        overrides=overrides,
        echo=lambda line: None,
    )


def sample_request_body() -> str:
    with SAMPLE_REQUEST.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    data = [[float(v) if v[:1].isdigit() else (v or None) for v in row] for row in rows[1:]]
    return json.dumps({"input_data": {"columns": rows[0], "data": data}})


@pytest.mark.slow
def test_pipeline_steps_run_locally_end_to_end(tmp_path, mlflow_uri, monkeypatch):
    registry = tmp_path / "registry"
    pipeline = runner(tmp_path / "run", **{"register.registry": str(registry)})

    runs = {run.step: run for run in pipeline.run()}

    assert list(runs) == ["prepare", "validate", "train", "evaluate", "register"]
    for step, module in [("validate", "validate_data"), ("register", "register")]:
        assert runs[step].argv[1:3] == ["-m", f"{PACKAGE}.{module}"]
    prepared = runs["prepare"].outputs["prepared_data"]
    assert {p.name for p in prepared.iterdir()} >= {"train.csv", "test.csv"}
    report = json.loads((runs["validate"].outputs["report"] / "data-report.json").read_text())
    assert report["success"] is True
    metrics = json.loads((runs["evaluate"].outputs["evaluation"] / "metrics.json").read_text())
    assert metrics["macro_f1"] > 0.9
    decision = json.loads((runs["register"].outputs["decision"] / "decision.json").read_text())
    assert (decision["register"], decision["registered_version"]) == (True, "1")
    assert (registry / decision["model_name"] / "1" / "model" / "MLmodel").is_file()

    # The same register command again: the same model on the same rows is no improvement.
    rerun = runner(tmp_path / "rerun", **{"register.registry": str(registry)})
    rerun.outputs.update(pipeline.outputs)
    again = rerun.run_step(pipeline.pipeline.steps["register"])
    decision = json.loads((again.outputs["decision"] / "decision.json").read_text())
    assert again.returncode == 0
    assert (decision["register"], decision["champion"]) == (False, metrics["macro_f1"])

    # The trained model answers through the online deployment's scoring script.
    monkeypatch.setenv("AZUREML_MODEL_DIR", str(runs["train"].outputs["model_output"]))
    score.init()
    answer = score.run(sample_request_body())
    assert len(answer["predictions"]) == len(SAMPLE_REQUEST.read_text().splitlines()) - 1


@pytest.mark.slow
def test_failing_data_validation_stops_the_pipeline_before_training(tmp_path, mlflow_uri):
    lines = RAW_DATA.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    mass = header.index("body_mass_g")
    broken_rows = []
    for line in lines[1:]:
        cells = line.split(",")
        if cells[mass]:
            cells[mass] = str(float(cells[mass]) * 1000)  # grams became milligrams
        broken_rows.append(",".join(cells))
    broken = tmp_path / "penguins.csv"
    broken.write_text("\n".join([lines[0], *broken_rows]) + "\n", encoding="utf-8")
    pipeline = runner(tmp_path / "run", raw_data=str(broken))

    with pytest.raises(local_run.LocalRunError, match="step 'validate' failed with exit code 1"):
        pipeline.run()

    assert set(pipeline.outputs) == {"prepare", "validate"}
    assert not (tmp_path / "run" / "train").exists()
