"""The register step: the promotion gate as a command (the last step of the training pipeline).

    python -m <package>.register --model DIR --test-data DIR --evaluation DIR
        --model-name NAME --decision-output DIR [--data-report DIR] [--metric macro_f1]
        [--min-improvement 0.0] [--registry azureml|FOLDER]

Scores the candidate (``--model``) and the newest registered version of ``--model-name`` on
the SAME rows (``--test-data``/test.csv) with the evaluate step's own ``evaluate_model``, and
registers the candidate only when ``promotion.decide`` says so. The candidate's number must
match the evaluate step's metrics.json (``--evaluation``), which proves both steps saw the
same model and rows. Writes ``decision.json``, logs the decision and both numbers to MLflow
and prints them. Not registering is a normal outcome (exit 0); exit 1 means the inputs could
not be used, exit 2 a wrong call (see ``cli``).

``--registry azureml`` is the model registry of the workspace the job runs in; any other
value is a folder used as a local registry (``promotion.LocalFolderRegistry``).
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import mlflow

from .cli import (
    StepArgumentParser,
    StepError,
    UsageError,
    existing_dir,
    file_in,
    output_dir,
    run_step,
    write_text_atomically,
)
from .data import load_dataset
from .evaluate import METRICS_FILE, evaluate_model
from .model_io import load_model
from .prepare import TEST_FILE
from .promotion import (
    Decision,
    LocalFolderRegistry,
    ModelRegistry,
    PromotionError,
    check_model_name,
    decide,
)
from .tracking import tracked_run

DECISION_FILE = "decision.json"
DATA_REPORT_FILE = "data-report.json"
AZUREML_REGISTRY = "azureml"
# metrics.json is written with full float precision; anything beyond rounding noise differs.
SAME_NUMBER = 1e-9


def open_registry(target: str) -> ModelRegistry:
    """The registry named by ``--registry``: the job's workspace, or a local folder."""
    if target == AZUREML_REGISTRY:
        from .azureml_registry import AzureMLRegistry  # azure-ai-ml only where it is needed

        return AzureMLRegistry.from_job_environment()
    return LocalFolderRegistry(Path(target))


def evaluated_metric(evaluation_dir: Path, metric: str) -> float:
    """The candidate's ``metric`` from the evaluate step's metrics.json."""
    path = file_in(evaluation_dir, METRICS_FILE, "--evaluation", "run evaluate first")
    try:
        metrics = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise StepError(f"--evaluation: {path} is not valid JSON ({error})") from None
    section = metrics.get("candidate", metrics) if isinstance(metrics, dict) else {}
    value = section.get(metric) if isinstance(section, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise StepError(f"--evaluation: {path} has no numeric '{metric}' (--metric)")
    return float(value)


def data_passed(report_dir: Path | None) -> bool:
    """The verdict (``success``) of the validate step's data-report.json; True without one."""
    if report_dir is None:
        return True
    path = file_in(report_dir, DATA_REPORT_FILE, "--data-report", "run validate_data first")
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise StepError(f"--data-report: {path} is not valid JSON ({error})") from None
    verdict = report.get("success") if isinstance(report, dict) else None
    if not isinstance(verdict, bool):
        raise StepError(f"--data-report: {path} has no true/false 'success' verdict")
    return verdict


def run_gate(args: argparse.Namespace, registry: ModelRegistry) -> tuple[Decision, str | None]:
    """Score both models on the same rows, decide, and register when the decision says so.

    Returns the decision and the new version (None when nothing was registered). Everything
    the caller controls is checked before the registry is touched.
    """
    name = check_model_name(args.model_name)
    test_file = file_in(args.test_data, TEST_FILE, "--test-data", "run prepare first")
    candidate_model = load_model(args.model, "--model")
    reported = evaluated_metric(args.evaluation, args.metric)
    passed = data_passed(args.data_report)
    test_df = load_dataset(test_file)

    candidate = metric_of(evaluate_model(candidate_model, test_df), args.metric, "--model")
    if abs(candidate - reported) > SAME_NUMBER:
        raise StepError(
            f"--evaluation: {args.metric} is {reported:.6f} but the candidate scores "
            f"{candidate:.6f} on --test-data; the inputs come from different runs"
        )
    current = registry.latest(name)
    champion = None
    if current is not None:
        registered = load_model(current.path, f"registered model {name} v{current.version}")
        champion = metric_of(evaluate_model(registered, test_df), args.metric, "registry")
    decision = decide(
        args.metric,
        candidate,
        champion,
        champion_version=None if current is None else current.version,
        min_improvement=args.min_improvement,
        data_passed=passed,
    )
    version = None
    if decision.register:
        tags = {
            args.metric: f"{candidate:.6f}",
            "replaces_version": "none" if current is None else current.version,
            "gate": decision.reason,
        }
        version = registry.register(name, args.model, tags=tags)
    return decision, version


def metric_of(metrics: dict[str, Any], metric: str, source: str) -> float:
    """``metrics[metric]`` as a float; StepError naming the source when it is absent."""
    value = metrics.get(metric)
    if isinstance(value, bool) or not isinstance(value, int | float):
        known = ", ".join(sorted(k for k, v in metrics.items() if isinstance(v, int | float)))
        raise UsageError(f"--metric: evaluate_model gives no '{metric}' for {source} ({known})")
    return float(value)


def non_negative_float(value: str) -> float:
    """argparse type: a finite number >= 0."""
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {value!r}") from None
    if not math.isfinite(number) or number < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {value}")
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = StepArgumentParser(
        prog=f"python -m {__package__}.register",
        description="Register the model only when it beats the registered one on the same rows.",
    )
    parser.add_argument("--model", type=existing_dir, required=True, metavar="DIR")
    parser.add_argument("--test-data", type=existing_dir, required=True, metavar="DIR")
    parser.add_argument("--evaluation", type=existing_dir, required=True, metavar="DIR")
    parser.add_argument("--data-report", type=existing_dir, default=None, metavar="DIR")
    parser.add_argument("--model-name", required=True, metavar="NAME")
    parser.add_argument("--metric", default="macro_f1", help="higher is better")
    parser.add_argument("--min-improvement", type=non_negative_float, default=0.0)
    parser.add_argument("--registry", default=AZUREML_REGISTRY, metavar="azureml|FOLDER")
    parser.add_argument("--decision-output", type=Path, required=True, metavar="DIR")
    return parser


def _register(args: argparse.Namespace, registry_factory: Callable[[str], ModelRegistry]) -> str:
    destination = output_dir(args.decision_output, "--decision-output")
    try:
        decision, version = run_gate(args, registry_factory(args.registry))
    except PromotionError as error:
        raise StepError(str(error)) from None
    record = {**decision.to_dict(), "model_name": args.model_name, "registered_version": version}
    with tracked_run("register"):
        mlflow.log_metric(f"gate_candidate_{args.metric}", decision.candidate)
        if decision.champion is not None:
            mlflow.log_metric(f"gate_registered_{args.metric}", decision.champion)
        mlflow.set_tags(
            {
                "gate_decision": "registered" if decision.register else "not_registered",
                "gate_reason": decision.reason,
                "gate_registered_version": version or "",
            }
        )
        write_text_atomically(json.dumps(record, indent=2) + "\n", destination / DECISION_FILE)
    registered = f"; registered {args.model_name} v{version}" if version else ""
    return f"{decision.summary()}{registered}"


def main(
    argv: Sequence[str] | None = None,
    *,
    registry_factory: Callable[[str], ModelRegistry] = open_registry,
) -> int:
    """Run the step; returns the exit code. ``registry_factory`` is the seam tests replace."""
    return run_step("register", build_parser(), lambda a: _register(a, registry_factory), argv)


if __name__ == "__main__":
    raise SystemExit(main())
