"""The promotion gate really gates: a worse model is never registered, a better one is.

The rule is tested as a pure function, then end to end through ``python -m <pkg>.register``
(``register.main``) against a local folder registry with real trained models: a weak one
(one tree of depth 1) and a good one (the default forest), scored on the same test rows.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from {{ cookiecutter.package_name }} import (
    evaluate,
    promotion,
    register,
)


@pytest.mark.parametrize(
    ("candidate", "champion", "min_improvement", "data_passed", "expected"),
    [
        (0.80, None, 0.0, True, True),  # nothing registered yet
        (0.97, 0.95, 0.0, True, True),  # better
        (0.95, 0.95, 0.0, True, False),  # a tie keeps the registered model
        (0.90, 0.95, 0.0, True, False),  # worse
        (0.96, 0.95, 0.02, True, False),  # better, but not by the required margin
        (0.98, 0.95, 0.02, True, True),  # better by more than the margin
        (0.99, 0.95, 0.0, False, False),  # data failed validation
        (0.99, None, 0.0, False, False),  # ... even for the first model
    ],
)
def test_decide(candidate, champion, min_improvement, data_passed, expected):
    decision = promotion.decide(
        "macro_f1",
        candidate,
        champion,
        champion_version=None if champion is None else "3",
        min_improvement=min_improvement,
        data_passed=data_passed,
    )

    assert decision.register is expected
    assert (decision.candidate, decision.champion) == (candidate, champion)


@pytest.mark.parametrize("value", [math.nan, math.inf, True])
def test_decide_refuses_a_metric_that_is_not_a_number(value):
    with pytest.raises(promotion.PromotionError, match="candidate macro_f1 must be a finite"):
        promotion.decide("macro_f1", value, 0.9)


def test_local_registry_versions_and_records(tmp_path: Path, good_model: Path):
    registry = promotion.LocalFolderRegistry(tmp_path / "registry")

    assert registry.latest("penguins") is None
    assert registry.register("penguins", good_model, tags={"macro_f1": "0.99"}) == "1"
    assert registry.register("penguins", good_model, tags={}) == "2"
    latest = registry.latest("penguins")
    assert (latest.version, (latest.path / "MLmodel").is_file()) == ("2", True)
    assert registry.registration("penguins", "1")["tags"] == {"macro_f1": "0.99"}


def test_local_registry_leaves_no_half_registered_version(tmp_path: Path):
    registry = promotion.LocalFolderRegistry(tmp_path / "registry")

    with pytest.raises(FileNotFoundError):
        registry.register("penguins", tmp_path / "no-such-model", tags={})

    assert registry.latest("penguins") is None
    assert list((tmp_path / "registry" / "penguins").iterdir()) == []


def test_registry_rejects_a_name_azureml_would_reject(tmp_path: Path):
    with pytest.raises(promotion.PromotionError, match="model name 'my model' must be"):
        promotion.LocalFolderRegistry(tmp_path).latest("my model")


@pytest.fixture(scope="session")
def evaluations(tmp_path_factory, prepared_dir, good_model, weak_model) -> dict[str, Path]:
    """The evaluate step's output for each model, as the pipeline passes it to register."""
    folders = {}
    for name, model in (("good", good_model), ("weak", weak_model)):
        folders[name] = tmp_path_factory.mktemp(f"evaluation-{name}")
        argv = ["--model", str(model), "--test-data", str(prepared_dir)]
        assert evaluate.main([*argv, "--output-dir", str(folders[name])]) == 0
    return folders


def passing_report(folder: Path, success: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data-report.json").write_text(json.dumps({"success": success}), encoding="utf-8")
    return folder


@pytest.fixture
def gate(tmp_path: Path, capsys: pytest.CaptureFixture[str], prepared_dir: Path):
    """``gate(model, evaluation, registry=..., report=None)`` runs the register step like the
    pipeline does and returns (exit code, decision.json or None, stdout, stderr)."""

    def run(model: Path, evaluation: Path, *, registry: Path, report: Path | None = None):
        decision_dir = tmp_path / f"decision-{len(list(tmp_path.glob('decision-*')))}"
        argv = [
            *("--model", str(model), "--test-data", str(prepared_dir)),
            *("--evaluation", str(evaluation), "--model-name", "penguins"),
            *("--data-report", str(report or passing_report(tmp_path / "report"))),
            *("--registry", str(registry), "--decision-output", str(decision_dir)),
        ]
        code = register.main(argv)
        out, err = capsys.readouterr()
        decision_file = decision_dir / "decision.json"
        decision = json.loads(decision_file.read_text()) if decision_file.exists() else None
        return code, decision, out, err

    return run


def test_gate_registers_the_first_model_then_only_better_ones(
    tmp_path, gate, good_model, weak_model, evaluations, mlflow_uri
):
    registry_dir = tmp_path / "registry"
    registry = promotion.LocalFolderRegistry(registry_dir)
    weak_f1 = json.loads((evaluations["weak"] / "metrics.json").read_text())["macro_f1"]
    good_f1 = json.loads((evaluations["good"] / "metrics.json").read_text())["macro_f1"]
    assert weak_f1 < good_f1  # the fixtures really differ in quality

    first = gate(weak_model, evaluations["weak"], registry=registry_dir)
    better = gate(good_model, evaluations["good"], registry=registry_dir)
    worse = gate(weak_model, evaluations["weak"], registry=registry_dir)

    assert first[0] == 0 and first[1]["register"] and first[1]["registered_version"] == "1"
    assert better[0] == 0 and better[1]["register"] and better[1]["registered_version"] == "2"
    code, decision, out, _ = worse
    assert code == 0
    assert decision["register"] is False
    assert decision["registered_version"] is None
    assert (decision["candidate"], decision["champion"]) == (weak_f1, good_f1)
    assert decision["champion_version"] == "2"
    assert f"candidate macro_f1={weak_f1:.4f}, registered v2 macro_f1={good_f1:.4f}" in out
    assert registry.latest("penguins").version == "2"
    run = MlflowClient(mlflow_uri).search_runs(
        [e.experiment_id for e in MlflowClient(mlflow_uri).search_experiments()],
        order_by=["attributes.start_time DESC"],
        max_results=1,
    )[0]
    assert run.data.tags["gate_decision"] == "not_registered"
    assert run.data.metrics["gate_candidate_macro_f1"] == pytest.approx(weak_f1)
    assert run.data.metrics["gate_registered_macro_f1"] == pytest.approx(good_f1)


def test_gate_refuses_when_the_data_failed_validation(tmp_path, gate, good_model, evaluations):
    failed = passing_report(tmp_path / "failed-report", success=False)

    code, decision, _, _ = gate(
        good_model,
        evaluations["good"],
        registry=tmp_path / "registry",
        report=failed,
    )

    assert code == 0
    assert decision["register"] is False
    assert decision["reason"] == "the data report says the data failed validation"
    assert promotion.LocalFolderRegistry(tmp_path / "registry").latest("penguins") is None


def test_gate_refuses_metrics_from_another_run(tmp_path, gate, weak_model, evaluations):
    code, decision, _, err = gate(
        weak_model,
        evaluations["good"],
        registry=tmp_path / "registry",
    )

    assert code == 1
    assert decision is None
    assert err.startswith("register: error: --evaluation: macro_f1 is ")
    assert err.rstrip().endswith("the inputs come from different runs")
    assert promotion.LocalFolderRegistry(tmp_path / "registry").latest("penguins") is None


def test_gate_needs_the_data_report_it_is_given(tmp_path, gate, good_model, evaluations):
    empty = tmp_path / "empty-report"
    empty.mkdir()

    code, _, _, err = gate(
        good_model,
        evaluations["good"],
        registry=tmp_path / "registry",
        report=empty,
    )

    assert code == 2
    assert f"--data-report: {empty} has no data-report.json" in err
