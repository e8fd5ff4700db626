"""Predict the species of each row of a CSV with a trained model.

    python -m <package>.score --model DIR --input CSV --output CSV

The input must hold the model's feature columns (see ``data/sample/request.csv``); each must
parse as its schema type, and a missing one fails with a message naming it. Empty values are
allowed (the model imputes them). The output repeats the input columns, then adds
``predicted_species`` and one ``probability_<species>`` column per class; each row's
probabilities sum to 1.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from sklearn.pipeline import Pipeline

from .cli import StepArgumentParser, UsageError, existing_file, run_step, write_csv_atomically
from .data import TARGET, read_features
from .model_io import load_model

PREDICTION_COLUMN = f"predicted_{TARGET}"
PROBABILITY_PREFIX = "probability_"


def score_frame(model: Pipeline, request: pd.DataFrame) -> pd.DataFrame:
    """``request`` with the prediction and one probability column per class appended.

    ``request`` must already be typed (``data.read_features``); columns the model was not
    fitted on are carried through untouched.
    """
    features = request[list(model.feature_names_in_)]
    probabilities = model.predict_proba(features)
    scored = request.copy()
    scored[PREDICTION_COLUMN] = model.classes_[probabilities.argmax(axis=1)]
    for index, label in enumerate(model.classes_):
        scored[f"{PROBABILITY_PREFIX}{label}"] = probabilities[:, index].round(6)
    return scored


def build_parser() -> argparse.ArgumentParser:
    parser = StepArgumentParser(
        prog=f"python -m {__package__}.score",
        description="Predict the species for every row of a CSV of penguin measurements.",
    )
    parser.add_argument("--model", type=Path, required=True, metavar="DIR", help="MLflow model")
    parser.add_argument(
        "--input", type=existing_file, required=True, metavar="CSV", help="rows to score"
    )
    parser.add_argument(
        "--output", type=Path, required=True, metavar="CSV", help="input rows plus predictions"
    )
    return parser


def _score(args: argparse.Namespace) -> str:
    if args.output.is_dir():
        raise UsageError(f"--output: {args.output} is a directory, expected a CSV file path")
    model = load_model(args.model, "--model")
    request = read_features(args.input, [str(name) for name in model.feature_names_in_])
    scored = score_frame(model, request)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    write_csv_atomically(scored, args.output)
    return f"scored {len(scored)} rows into {args.output}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the step; returns the exit code (see ``cli`` for what each code means)."""
    return run_step("score", build_parser(), _score, argv)


if __name__ == "__main__":
    raise SystemExit(main())
