"""Train the species classifier and save it as an MLflow model.

    python -m <package>.train --train-data DIR --model-output DIR
                              [--n-estimators N] [--max-depth N] [--seed 42]

Reads ``DIR/train.csv`` (written by prepare), fits the feature preprocessing and a random
forest as one scikit-learn Pipeline, logs params, training metrics and the model to MLflow,
and saves the model (skops, with an input signature) to the ``--model-output`` directory.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import mlflow
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score, f1_score
from sklearn.pipeline import Pipeline

from .cli import StepArgumentParser, existing_dir, file_in, positive_int, run_step
from .data import load_dataset, split_features_target
from .features import FEATURE_COLUMNS, build_preprocessor
from .model_io import check_model_output_dir, save_model
from .prepare import TRAIN_FILE
from .tracking import tracked_run

# The run's artifact folder that holds the MLflow model (what AzureML registers from a run).
MODEL_ARTIFACT_PATH = "model"


def build_pipeline(
    n_estimators: int = 100, max_depth: int | None = None, seed: int = 42
) -> Pipeline:
    """The untrained model: feature preprocessing followed by a random forest.

    ``oob_score`` gives an honest accuracy estimate from the training data alone, at no
    extra fitting cost. ``n_jobs=1`` keeps results identical across machines for a seed.
    """
    forest = RandomForestClassifier(
        n_estimators=n_estimators,
        max_depth=max_depth,
        random_state=seed,
        oob_score=True,
        n_jobs=1,
    )
    return Pipeline([("features", build_preprocessor()), ("classifier", forest)])


def feature_importance(pipeline: Pipeline) -> dict[str, float]:
    """Impurity importance per encoded feature (e.g. ``categorical__island_Biscoe``), sorted."""
    names = pipeline.named_steps["features"].get_feature_names_out()
    scores = pipeline.named_steps["classifier"].feature_importances_
    ranked = sorted(zip(names, scores, strict=True), key=lambda pair: pair[1], reverse=True)
    return {str(name): round(float(score), 6) for name, score in ranked}


def build_parser() -> argparse.ArgumentParser:
    parser = StepArgumentParser(
        prog=f"python -m {__package__}.train",
        description="Train the classifier on DIR/train.csv and save it as an MLflow model.",
    )
    parser.add_argument(
        "--train-data", type=existing_dir, required=True, metavar="DIR", help="holds train.csv"
    )
    parser.add_argument(
        "--model-output",
        type=Path,
        required=True,
        metavar="DIR",
        help="gets the MLflow model (an earlier model there is replaced)",
    )
    parser.add_argument(
        "--n-estimators", type=positive_int, default=100, metavar="N", help="trees (default: 100)"
    )
    parser.add_argument(
        "--max-depth", type=positive_int, default=None, metavar="N", help="default: unlimited"
    )
    parser.add_argument("--seed", type=int, default=42, help="forest seed (default: 42)")
    return parser


def _train(args: argparse.Namespace) -> str:
    # Check everything the caller controls before spending time on training.
    train_file = file_in(args.train_data, TRAIN_FILE, "--train-data", "run prepare first")
    check_model_output_dir(args.model_output, "--model-output")
    features, target = split_features_target(load_dataset(train_file), FEATURE_COLUMNS)

    pipeline = build_pipeline(args.n_estimators, args.max_depth, args.seed)
    with tracked_run("train") as run:
        mlflow.log_params(
            {
                "model": "RandomForestClassifier",
                "n_estimators": args.n_estimators,
                "max_depth": args.max_depth if args.max_depth is not None else "None",
                "seed": args.seed,
                "features": ",".join(FEATURE_COLUMNS),
                "train_rows": len(features),
            }
        )
        pipeline.fit(features, target)
        predicted = pipeline.predict(features)
        metrics = {
            "training_accuracy": accuracy_score(target, predicted),
            "training_macro_f1": f1_score(target, predicted, average="macro"),
            "oob_accuracy": pipeline.named_steps["classifier"].oob_score_,
        }
        mlflow.log_metrics(metrics)
        mlflow.log_dict(feature_importance(pipeline), "feature_importance.json")
        save_model(pipeline, features, args.model_output)
        # log_artifacts rather than mlflow.sklearn.log_model: AzureML's tracking server does
        # not implement MLflow 3's logged-model API, while plain run artifacts work everywhere.
        mlflow.log_artifacts(str(args.model_output), MODEL_ARTIFACT_PATH)
    return (
        f"saved model to {args.model_output} (OOB accuracy {metrics['oob_accuracy']:.3f}, "
        f"MLflow run {run.info.run_id})"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the step; returns the exit code (see ``cli`` for what each code means)."""
    return run_step("train", build_parser(), _train, argv)


if __name__ == "__main__":
    raise SystemExit(main())
