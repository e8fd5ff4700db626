"""Publish what an AzureML training run produced: metrics, the gate's decision, a run summary.

    python -m aml_tool submit --wait | tee outputs/training/submit.log
    python tools/pipelines/training_report.py --submit-log outputs/training/submit.log \
        --output-dir outputs/training

Downloads the pipeline job's ``evaluation`` (metrics.json) and ``decision`` (decision.json)
outputs into ``--output-dir``, writes ``summary.md`` there and, on an Azure Pipelines agent,
attaches it to the run's summary page. When the promotion gate registered a model the run is
tagged ``model-registered``: that tag is what triggers the deployment pipeline.

Guarantee: exit 0 with metrics.json, decision.json and summary.md written; otherwise one line
naming what is missing, exit 1 (2 for a wrong call or an unusable project.yml).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

SUBMITTED = re.compile(r"^submitted (?P<name>[\w\-]+):", re.MULTILINE)
OUTPUTS = {"evaluation": "metrics.json", "decision": "decision.json"}
REGISTERED_TAG = "model-registered"


class ReportError(Exception):
    """Something the report needs is not there; the message says what."""


def job_name_from_log(text: str) -> str:
    """The AzureML job name that ``aml submit`` printed ("submitted NAME: URL")."""
    found = SUBMITTED.findall(text)
    if not found:
        raise ReportError("the submit log has no 'submitted <job name>:' line")
    return found[-1]


def download_outputs(client: Any, job_name: str, output_dir: Path) -> dict[str, dict[str, Any]]:
    """Each named output's JSON file, downloaded from the job and parsed."""
    documents = {}
    for output, filename in OUTPUTS.items():
        target = output_dir / "downloads"
        try:
            client.jobs.download(name=job_name, output_name=output, download_path=str(target))
        except Exception as error:  # noqa: BLE001 - any download failure ends the report
            raise ReportError(
                f"job {job_name}: output '{output}' not downloaded: {error}"
            ) from None
        found = sorted(target.rglob(filename))
        if not found:
            raise ReportError(f"job {job_name}: output '{output}' has no {filename}")
        documents[output] = json.loads(found[0].read_text(encoding="utf-8"))
        (output_dir / filename).write_text(found[0].read_text(encoding="utf-8"), encoding="utf-8")
    return documents


def summary_markdown(job_name: str, metrics: dict[str, Any], decision: dict[str, Any]) -> str:
    """The run summary: the gate's verdict first, then every numeric metric."""
    registered = bool(decision.get("register"))
    metric = decision.get("metric", "macro_f1")
    champion = decision.get("champion")
    lines = [
        f"## Training run `{job_name}`",
        "",
        (
            f"**Registered** as version {decision.get('registered_version')}"
            if registered
            else "**Not registered**: the currently registered model stays"
        )
        + f" ({decision.get('reason', 'no reason given')}).",
        "",
        f"| gate | {metric} |",
        "|---|---|",
        f"| candidate | {float(decision.get('candidate', float('nan'))):.4f} |",
        "| registered model | "
        + (
            "none"
            if champion is None
            else f"{float(champion):.4f} (v{decision.get('champion_version')})"
        )
        + " |",
        "",
        "| metric | value |",
        "|---|---|",
    ]
    for name, value in sorted(metrics.items()):
        if isinstance(value, int | float) and not isinstance(value, bool):
            lines.append(f"| {name} | {value:.4f} |")
    return "\n".join(lines) + "\n"


def publish(output_dir: Path, registered: bool, on_agent: bool) -> list[str]:
    """Logging commands for the agent: attach the summary, tag the run when registered."""
    if not on_agent:
        return []
    commands = [f"##vso[task.uploadsummary]{(output_dir / 'summary.md').resolve()}"]
    if registered:
        commands.append(f"##vso[build.addbuildtag]{REGISTERED_TAG}")
    return commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, default=Path("project.yml"), metavar="FILE")
    parser.add_argument("--submit-log", type=Path, required=True, metavar="FILE")
    parser.add_argument("--output-dir", type=Path, required=True, metavar="DIR")
    return parser


def main(argv: list[str] | None = None, *, connect: Callable[[Any], Any] | None = None) -> int:
    """Write the report; ``connect`` (config -> MLClient) is the seam tests replace."""
    import importlib

    config_module = importlib.import_module("aml_tool.config")
    workspace = importlib.import_module("aml_tool.workspace")
    args = build_parser().parse_args(argv)
    try:
        job_name = job_name_from_log(args.submit_log.read_text(encoding="utf-8"))
        config = config_module.load_config(args.config)
        args.output_dir.mkdir(parents=True, exist_ok=True)
        documents = download_outputs(
            (connect or workspace.connect)(config), job_name, args.output_dir
        )
    except (OSError, config_module.ConfigError) as error:
        print(f"training report: error: {error}", file=sys.stderr)
        return 2
    except (ReportError, workspace.AmlError) as error:
        print(f"training report: error: {error}", file=sys.stderr)
        return 1
    decision = documents["decision"]
    summary = summary_markdown(job_name, documents["evaluation"], decision)
    (args.output_dir / "summary.md").write_text(summary, encoding="utf-8")
    print(summary)
    for command in publish(
        args.output_dir, bool(decision.get("register")), "TF_BUILD" in os.environ
    ):
        print(command)
    return 0


if __name__ == "__main__":
    sys.exit(main())
