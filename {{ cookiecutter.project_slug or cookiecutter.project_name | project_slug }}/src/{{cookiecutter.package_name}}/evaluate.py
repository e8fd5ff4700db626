"""Evaluate a trained model on the held-out test set, optionally against a baseline model.

    python -m <package>.evaluate --model DIR --test-data DIR --output-dir DIR
                                 [--baseline-model DIR]

Writes ``DIR/metrics.json`` (``macro_f1``, ``accuracy``, ``weighted_f1``, ``n_rows``,
``per_class`` and ``confusion_matrix``, all of the model under test),
``DIR/confusion_matrix.csv`` (rows: actual species, columns: predicted species) and
``DIR/confusion_matrix.png`` (the same counts as the heat map a reviewer reads), and logs
the metrics (with a ``test_`` prefix) and the three files to MLflow. With
``--baseline-model`` both models are scored on the same rows and metrics.json also holds
``candidate`` and ``baseline`` sections of that same shape: the promotion gate compares
those two.
"""

from __future__ import annotations

import argparse
import io
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from sklearn.metrics import accuracy_score, classification_report, confusion_matrix, f1_score

from .cli import (
    StepArgumentParser,
    existing_dir,
    file_in,
    output_dir,
    run_step,
    write_bytes_atomically,
    write_csv_atomically,
    write_text_atomically,
)
from .data import load_dataset, split_features_target
from .features import FEATURE_COLUMNS
from .model_io import load_model
from .prepare import TEST_FILE
from .tracking import tracked_run

METRICS_FILE = "metrics.json"
CONFUSION_MATRIX_FILE = "confusion_matrix.csv"
CONFUSION_PLOT_FILE = "confusion_matrix.png"
HEADLINE_METRICS = ("macro_f1", "accuracy", "weighted_f1")


def evaluate_model(model: Any, test_df: pd.DataFrame) -> dict[str, Any]:
    """Score ``model`` on ``test_df`` (features and target) and return JSON-ready metrics.

    ``model`` is anything with ``predict``; it is given the columns it was fitted on
    (``feature_names_in_``), else this project's FEATURE_COLUMNS. The result has
    ``macro_f1``, ``accuracy``, ``weighted_f1`` (floats in [0, 1]), ``n_rows``, ``per_class``
    (precision, recall, f1, support per species) and ``confusion_matrix`` (``labels`` and a
    ``matrix`` whose row i counts the rows of actual class ``labels[i]`` by predicted class).
    Every class the model knows or the data holds appears, even with no rows.
    """
    columns = [str(name) for name in getattr(model, "feature_names_in_", FEATURE_COLUMNS)]
    features, actual = split_features_target(test_df, columns)
    predicted = pd.Series(model.predict(features), index=actual.index, dtype=object)
    labels = sorted(
        {str(label) for label in getattr(model, "classes_", [])}
        | set(actual.astype(str))
        | set(predicted.astype(str))
    )
    actual, predicted = actual.astype(str), predicted.astype(str)
    report = classification_report(
        actual, predicted, labels=labels, output_dict=True, zero_division=0
    )
    return {
        "macro_f1": float(f1_score(actual, predicted, labels=labels, average="macro")),
        "accuracy": float(accuracy_score(actual, predicted)),
        "weighted_f1": float(f1_score(actual, predicted, labels=labels, average="weighted")),
        "n_rows": len(actual),
        "per_class": {
            label: {
                "precision": float(report[label]["precision"]),
                "recall": float(report[label]["recall"]),
                "f1": float(report[label]["f1-score"]),
                "support": int(report[label]["support"]),
            }
            for label in labels
        },
        "confusion_matrix": {
            "labels": labels,
            "matrix": confusion_matrix(actual, predicted, labels=labels).tolist(),
        },
    }


def confusion_frame(metrics: dict[str, Any]) -> pd.DataFrame:
    """The confusion matrix of ``evaluate_model``'s result as a table with an ``actual`` column."""
    labels = metrics["confusion_matrix"]["labels"]
    frame = pd.DataFrame(metrics["confusion_matrix"]["matrix"], columns=labels)
    frame.insert(0, "actual", labels)
    return frame


def plot_confusion_matrix(metrics: dict[str, Any]) -> bytes:
    """A PNG heat map of the confusion matrix: actual classes down, predicted across, each cell
    with its count and its share of the actual class (the recall a reviewer asks about)."""
    # matplotlib.figure needs no display and no global pyplot state (safe in AzureML jobs).
    from matplotlib.figure import Figure

    labels = metrics["confusion_matrix"]["labels"]
    matrix = metrics["confusion_matrix"]["matrix"]
    size = 2.5 + 0.9 * len(labels)
    figure = Figure(figsize=(size + 1, size), layout="constrained")
    axis = figure.subplots()
    image = axis.imshow(matrix, cmap="Blues")
    figure.colorbar(image, ax=axis, label="rows")
    axis.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    axis.set_yticks(range(len(labels)), labels)
    axis.set_xlabel("predicted")
    axis.set_ylabel("actual")
    rows, f1 = metrics["n_rows"], metrics["macro_f1"]
    axis.set_title(f"Confusion matrix ({rows} rows, macro F1 {f1:.3f})")
    peak = max((max(row) for row in matrix), default=0)
    for i, row in enumerate(matrix):
        total = sum(row)
        for j, count in enumerate(row):
            share = f"\n{count / total:.0%}" if total else ""
            color = "white" if peak and count > peak / 2 else "black"
            axis.text(j, i, f"{count}{share}", ha="center", va="center", color=color)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def mlflow_metrics(metrics: dict[str, Any], prefix: str) -> dict[str, float]:
    """Flat MLflow metric names: ``<prefix>macro_f1`` ... and ``<prefix>f1_<class>``."""
    flat = {f"{prefix}{name}": metrics[name] for name in HEADLINE_METRICS}
    for label, scores in metrics["per_class"].items():
        # MLflow keys allow letters, digits and _-./ and space; class names are data.
        safe = re.sub(r"[^0-9A-Za-z_\-./ ]", "_", label)
        flat[f"{prefix}f1_{safe}"] = scores["f1"]
    return flat


def build_parser() -> argparse.ArgumentParser:
    parser = StepArgumentParser(
        prog=f"python -m {__package__}.evaluate",
        description="Evaluate a model (and optionally a baseline) on DIR/test.csv.",
    )
    parser.add_argument(
        "--model", type=Path, required=True, metavar="DIR", help="MLflow model to evaluate"
    )
    parser.add_argument(
        "--test-data", type=existing_dir, required=True, metavar="DIR", help="holds test.csv"
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        required=True,
        metavar="DIR",
        help=f"gets {METRICS_FILE}, {CONFUSION_MATRIX_FILE} and {CONFUSION_PLOT_FILE}",
    )
    parser.add_argument(
        "--baseline-model",
        type=Path,
        default=None,
        metavar="DIR",
        help="MLflow model to compare against on the same rows (optional)",
    )
    return parser


def _evaluate(args: argparse.Namespace) -> str:
    test_file = file_in(args.test_data, TEST_FILE, "--test-data", "run prepare first")
    candidate_model = load_model(args.model, "--model")
    baseline_model = (
        load_model(args.baseline_model, "--baseline-model") if args.baseline_model else None
    )
    test_df = load_dataset(test_file)
    candidate = evaluate_model(candidate_model, test_df)
    report = dict(candidate)
    to_log = mlflow_metrics(candidate, "test_")
    if baseline_model is not None:
        baseline = evaluate_model(baseline_model, test_df)
        report.update(candidate=candidate, baseline=baseline)
        to_log.update(mlflow_metrics(baseline, "baseline_test_"))

    destination = output_dir(args.output_dir, "--output-dir")
    with tracked_run("evaluate"):
        mlflow.log_metrics(to_log)
        write_text_atomically(json.dumps(report, indent=2) + "\n", destination / METRICS_FILE)
        write_csv_atomically(confusion_frame(candidate), destination / CONFUSION_MATRIX_FILE)
        write_bytes_atomically(plot_confusion_matrix(candidate), destination / CONFUSION_PLOT_FILE)
        for name in (METRICS_FILE, CONFUSION_MATRIX_FILE, CONFUSION_PLOT_FILE):
            mlflow.log_artifact(str(destination / name))

    summary = f"macro F1 {candidate['macro_f1']:.3f}, accuracy {candidate['accuracy']:.3f}"
    if baseline_model is not None:
        summary += f" (baseline macro F1 {report['baseline']['macro_f1']:.3f})"
    return f"{summary} on {candidate['n_rows']} rows; wrote {destination / METRICS_FILE}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the step; returns the exit code (see ``cli`` for what each code means)."""
    return run_step("evaluate", build_parser(), _evaluate, argv)


if __name__ == "__main__":
    raise SystemExit(main())
