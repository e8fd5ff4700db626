"""train and evaluate: the saved MLflow model, what reaches MLflow, the metrics' meaning, and
the refusals that protect the caller's files."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import mlflow.sklearn
import pandas as pd
import pytest
import skops.io
from mlflow.models import Model
from mlflow.tracking import MlflowClient
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline

from {{ cookiecutter.package_name }} import (
    evaluate,
    train,
)
from {{ cookiecutter.package_name }}.data import (
    TARGET,
    load_dataset,
)
from {{ cookiecutter.package_name }}.evaluate import (
    evaluate_model,
)
from {{ cookiecutter.package_name }}.features import (
    FEATURE_COLUMNS,
    build_preprocessor,
)
from {{ cookiecutter.package_name }}.model_io import (
    ModelFileError,
    load_model,
)


def run_evaluate(model: Path, prepared: Path, out: Path, *extra: str) -> int:
    args = ["--model", str(model), "--test-data", str(prepared), "--output-dir", str(out)]
    return evaluate.main([*args, *extra])


def latest_run(step: str):
    runs = mlflow.search_runs(
        filter_string=f"tags.step = '{step}'",
        order_by=["attributes.start_time DESC"],
        max_results=1,
        output_format="list",
    )
    assert runs, f"no MLflow run tagged step={step}"
    return runs[0]


def test_model_is_a_skops_mlflow_model_with_the_feature_signature(model_dir: Path) -> None:
    mlmodel = Model.load(str(model_dir / "MLmodel"))

    assert mlmodel.flavors["sklearn"]["serialization_format"] == "skops"
    assert "python_function" in mlmodel.flavors
    assert mlmodel.signature.inputs.input_names() == list(FEATURE_COLUMNS)


def test_train_logs_params_metrics_and_the_model_to_mlflow(
    prepared_dir: Path, tmp_path: Path
) -> None:
    status = train.main(
        [
            "--train-data", str(prepared_dir),
            "--model-output", str(tmp_path / "model"),
            "--n-estimators", "25",
            "--max-depth", "4",
            "--seed", "3",
        ]
    )  # fmt: skip

    run = latest_run("train")
    assert status == 0
    assert run.info.status == "FINISHED"
    assert run.data.params["n_estimators"] == "25"
    assert run.data.params["max_depth"] == "4"
    assert run.data.params["seed"] == "3"
    for name in ("training_accuracy", "training_macro_f1", "oob_accuracy"):
        assert 0.0 <= run.data.metrics[name] <= 1.0, name
    logged = {item.path for item in MlflowClient().list_artifacts(run.info.run_id, "model")}
    assert "model/MLmodel" in logged
    assert "model/model.skops" in logged


def test_model_reaches_a_sane_macro_f1_on_held_out_penguins(
    model_dir: Path, prepared_dir: Path, tmp_path: Path
) -> None:
    assert run_evaluate(model_dir, prepared_dir, tmp_path) == 0

    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["macro_f1"] > 0.9
    assert metrics["accuracy"] > 0.9


def test_metrics_file_and_confusion_matrix_agree_with_the_test_set(
    model_dir: Path, prepared_dir: Path, tmp_path: Path
) -> None:
    test = load_dataset(prepared_dir / "test.csv")

    assert run_evaluate(model_dir, prepared_dir, tmp_path) == 0

    metrics = json.loads((tmp_path / "metrics.json").read_text())
    matrix = pd.read_csv(tmp_path / "confusion_matrix.csv").set_index("actual")
    assert metrics["n_rows"] == len(test) == int(matrix.to_numpy().sum())
    assert matrix.to_numpy().tolist() == metrics["confusion_matrix"]["matrix"]
    for species, count in test[TARGET].value_counts().items():
        assert int(matrix.loc[species].sum()) == count
        assert metrics["per_class"][species]["support"] == count
    correct = sum(matrix.loc[label, label] for label in matrix.index)
    assert metrics["accuracy"] == pytest.approx(correct / len(test))


def test_evaluate_draws_the_confusion_matrix_a_reviewer_reads(
    model_dir: Path, prepared_dir: Path, tmp_path: Path
) -> None:
    """confusion_matrix.png sits next to the metrics, is a real PNG of a sensible size, and is
    logged to MLflow with the other evaluation files."""
    assert run_evaluate(model_dir, prepared_dir, tmp_path) == 0

    png = (tmp_path / "confusion_matrix.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert 300 <= width <= 1200 and 300 <= height <= 1200, (width, height)
    run = latest_run("evaluate")
    artifacts = {item.path for item in MlflowClient().list_artifacts(run.info.run_id)}
    assert {"metrics.json", "confusion_matrix.csv", "confusion_matrix.png"} <= artifacts


def test_evaluate_logs_the_same_numbers_it_writes(
    model_dir: Path, prepared_dir: Path, tmp_path: Path
) -> None:
    assert run_evaluate(model_dir, prepared_dir, tmp_path) == 0

    metrics = json.loads((tmp_path / "metrics.json").read_text())
    run = latest_run("evaluate")
    assert run.data.metrics["test_macro_f1"] == pytest.approx(metrics["macro_f1"])
    assert run.data.metrics["test_accuracy"] == pytest.approx(metrics["accuracy"])
    assert run.data.metrics["test_f1_Gentoo"] == pytest.approx(metrics["per_class"]["Gentoo"]["f1"])


def test_evaluate_model_of_a_constant_guess_matches_hand_computed_scores(
    prepared_dir: Path,
) -> None:
    test = load_dataset(prepared_dir / "test.csv")
    guess = "Adelie"
    model = DummyClassifier(strategy="constant", constant=guess)
    model.fit(test[list(FEATURE_COLUMNS)], test[TARGET])
    share = float((test[TARGET] == guess).mean())

    metrics = evaluate_model(model, test)

    assert metrics["accuracy"] == pytest.approx(share)
    # Precision of the guessed class is its share, recall is 1; the other classes score 0.
    guessed_f1 = 2 * share / (share + 1)
    assert metrics["per_class"][guess]["f1"] == pytest.approx(guessed_f1)
    assert metrics["macro_f1"] == pytest.approx(guessed_f1 / len(metrics["per_class"]))


@pytest.mark.filterwarnings("ignore:Some inputs do not have OOB scores")
def test_baseline_is_evaluated_on_the_same_rows(
    model_dir: Path, prepared_dir: Path, tmp_path: Path
) -> None:
    weak = tmp_path / "weak-model"
    assert (
        train.main(
            [
                "--train-data",
                str(prepared_dir),
                "--model-output",
                str(weak),
                "--n-estimators",
                "1",
                "--max-depth",
                "1",
            ]
        )  # fmt: skip
        == 0
    )
    expected_baseline = evaluate_model(load_model(weak), load_dataset(prepared_dir / "test.csv"))

    assert (
        run_evaluate(model_dir, prepared_dir, tmp_path / "eval", "--baseline-model", str(weak)) == 0
    )

    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert metrics["baseline"] == expected_baseline
    assert metrics["candidate"]["macro_f1"] == metrics["macro_f1"]
    assert metrics["candidate"]["n_rows"] == metrics["baseline"]["n_rows"]
    assert metrics["candidate"]["macro_f1"] > metrics["baseline"]["macro_f1"]
    assert latest_run("evaluate").data.metrics["baseline_test_macro_f1"] == pytest.approx(
        expected_baseline["macro_f1"]
    )


def test_train_refuses_an_output_dir_holding_other_files(
    prepared_dir: Path, tmp_path: Path, stderr_lines
) -> None:
    precious = tmp_path / "notes.txt"
    precious.write_text("keep me")

    status = train.main(["--train-data", str(prepared_dir), "--model-output", str(tmp_path)])

    lines = stderr_lines()
    assert status == 2
    assert len(lines) == 1
    assert "--model-output" in lines[0] and "holds no MLflow model" in lines[0]
    assert precious.read_text() == "keep me"


@pytest.mark.filterwarnings("ignore:Some inputs do not have OOB scores")
def test_train_replaces_an_earlier_model(prepared_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "model"
    args = ["--train-data", str(prepared_dir), "--model-output", str(out), "--n-estimators", "5"]
    assert train.main(args) == 0
    (out / "stale.txt").write_text("from an older run")

    assert train.main(args) == 0

    assert (out / "MLmodel").is_file()
    assert not (out / "stale.txt").exists()


def test_train_without_prepared_data_exits_2(tmp_path: Path, stderr_lines) -> None:
    status = train.main(["--train-data", str(tmp_path), "--model-output", str(tmp_path / "m")])

    assert status == 2
    assert stderr_lines() == [
        f"train: error: --train-data: {tmp_path} has no train.csv (run prepare first)"
    ]
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize("flag", ["--model", "--baseline-model"])
def test_evaluate_names_the_flag_of_a_directory_that_is_no_model(
    model_dir: Path, prepared_dir: Path, tmp_path: Path, stderr_lines, flag: str
) -> None:
    not_a_model = tmp_path / "empty"
    not_a_model.mkdir()
    model, baseline = (not_a_model, model_dir) if flag == "--model" else (model_dir, not_a_model)

    status = run_evaluate(model, prepared_dir, tmp_path / "out", "--baseline-model", str(baseline))

    lines = stderr_lines()
    assert status == 2
    assert lines == [f"evaluate: error: {flag}: {not_a_model} is not an MLflow model (no MLmodel)"]
    assert not (tmp_path / "out" / "metrics.json").exists()


def test_loader_refuses_types_outside_the_trusted_list(prepared_dir: Path, tmp_path: Path) -> None:
    train_df = load_dataset(prepared_dir / "train.csv")
    other = Pipeline(
        [
            ("features", build_preprocessor()),
            ("classifier", HistGradientBoostingClassifier(max_iter=3)),
        ]
    ).fit(train_df[list(FEATURE_COLUMNS)], train_df[TARGET])
    extra = skops.io.get_untrusted_types(data=skops.io.dumps(other))
    mlflow.sklearn.save_model(
        other,
        tmp_path / "m",
        serialization_format="skops",
        skops_trusted_types=extra,
        pip_requirements=[],  # skips MLflow's slow requirement inference
    )

    with pytest.raises(ModelFileError, match="untrusted types") as raised:
        load_model(tmp_path / "m")

    assert "TreePredictor" in str(raised.value)
