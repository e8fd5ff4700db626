"""Smoke-test the deployed model with the project's sample (run after each deploy or shift).

    python tools/pipelines/smoke_test.py --environment prod online --slot green  # directly
    python tools/pipelines/smoke_test.py --environment prod online  # as users reach it
    python tools/pipelines/smoke_test.py --environment prod batch   # a job over the sample

Guarantee: exit 0 only when the online endpoint answered the sample request with one species
per row (and probabilities that sum to 1), or the batch scoring job over
data/sample/request.csv completed.
Otherwise one line that says what was wrong, exit 1; exit 2 for a wrong call or an unusable
project.yml. The workspace and endpoint come from project.yml (``--config``), the
login from the Azure CLI session the pipeline's AzureCLI@2 step opened.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ONLINE_REQUEST = Path("aml/endpoints/online/sample-request.json")
BATCH_INPUT = Path("data/sample/request.csv")


class SmokeTestError(Exception):
    """The deployment answered, but not like a working model would."""


def check_online_answer(request: dict[str, Any], answer: Any) -> str:
    """A one-line summary of a good answer; SmokeTestError naming the first problem."""
    rows = len(request["input_data"]["data"])
    body = answer
    for _ in range(2):  # the SDK returns the body as JSON text, sometimes JSON-encoded twice
        if isinstance(body, bytes | str):
            try:
                body = json.loads(body)
            except json.JSONDecodeError:
                raise SmokeTestError(f"the answer is not JSON: {str(body)[:200]}") from None
    if not isinstance(body, dict) or "predictions" not in body:
        raise SmokeTestError(f"the answer has no 'predictions': {str(body)[:200]}")
    predictions = body["predictions"]
    if not isinstance(predictions, list) or len(predictions) != rows:
        raise SmokeTestError(f"expected {rows} predictions for {rows} rows, got {predictions!r}")
    if not all(isinstance(p, str) and p.strip() for p in predictions):
        raise SmokeTestError(f"every prediction must be a class name, got {predictions!r}")
    for row, probabilities in enumerate(body.get("probabilities") or []):
        total = sum(float(v) for v in probabilities.values())
        if not math.isclose(total, 1.0, abs_tol=1e-3):
            raise SmokeTestError(f"row {row}: class probabilities sum to {total:.4f}, not 1")
    return f"{rows} rows scored: {', '.join(predictions)}"


def smoke_online(client: Any, endpoint: str, slot: str | None, request_file: Path) -> str:
    request = json.loads(request_file.read_text(encoding="utf-8"))
    target = f"deployment '{slot}' of {endpoint}" if slot else f"endpoint {endpoint}"
    try:
        answer = client.online_endpoints.invoke(
            endpoint_name=endpoint, request_file=str(request_file), deployment_name=slot
        )
    except Exception as error:  # noqa: BLE001 - any failure to answer is the finding
        raise SmokeTestError(f"{target} did not answer: {_first_line(error)}") from None
    return f"{target}: {check_online_answer(request, answer)}"


def smoke_batch(
    client: Any, endpoint: str, input_file: Path, timeout_minutes: float, wait: Callable
) -> str:
    from azure.ai.ml import Input

    try:
        job = client.batch_endpoints.invoke(
            endpoint_name=endpoint, input=Input(type="uri_file", path=str(input_file))
        )
    except Exception as error:  # noqa: BLE001 - any failure to start is the finding
        raise SmokeTestError(
            f"batch endpoint {endpoint} refused the job: {_first_line(error)}"
        ) from None
    if not wait(client, job.name, timeout_minutes):
        raise SmokeTestError(f"batch scoring job {job.name} did not complete")
    return f"batch endpoint {endpoint}: scoring job {job.name} completed"


def _first_line(error: Exception) -> str:
    """An Azure error's reason, as aml_tool prints it (the rest is request ids and links)."""
    from aml_tool.workspace import first_line

    return first_line(error)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, default=Path("project.yml"), metavar="FILE")
    parser.add_argument("--environment", choices=("dev", "prod"), required=True)
    kinds = parser.add_subparsers(dest="kind", required=True)
    online = kinds.add_parser("online", help="invoke the online endpoint with the sample request")
    online.add_argument("--slot", choices=("blue", "green"), default=None)
    online.add_argument("--request", type=Path, default=ONLINE_REQUEST, metavar="FILE")
    batch = kinds.add_parser("batch", help="score data/sample/request.csv with the batch endpoint")
    batch.add_argument("--input", type=Path, default=BATCH_INPUT, metavar="CSV")
    batch.add_argument("--timeout-minutes", type=float, default=20, metavar="N")
    return parser


def main(argv: list[str] | None = None, *, connect: Callable[[Any], Any] | None = None) -> int:
    """Run one smoke test; ``connect`` (config -> MLClient) is the seam tests replace."""
    import importlib

    config_module = importlib.import_module("aml_tool.config")
    workspace = importlib.import_module("aml_tool.workspace")
    args = build_parser().parse_args(argv)
    request = args.request if args.kind == "online" else args.input
    if not request.is_file():
        print(
            f"smoke test: error: {request} not found (run from the project root)", file=sys.stderr
        )
        return 2
    try:
        config = config_module.load_config(args.config, args.environment)
        client = (connect or workspace.connect)(config)
        if args.kind == "online":
            summary = smoke_online(client, config.endpoint_name, args.slot, request)
        else:
            summary = smoke_batch(
                client, config.endpoint_name, request, args.timeout_minutes, workspace.wait_for_job
            )
    except config_module.ConfigError as error:
        print(f"smoke test: error: {error}", file=sys.stderr)
        return 2
    except (SmokeTestError, workspace.AmlError) as error:
        print(f"smoke test FAILED: {error}", file=sys.stderr)
        return 1
    print(f"smoke test passed: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
