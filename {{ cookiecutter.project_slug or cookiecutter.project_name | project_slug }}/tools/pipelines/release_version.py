"""The model version of a release, resolved once: from the training run's decision.json.

    python tools/pipelines/release_version.py --decision DIR/decision.json --requested training

The training pipeline's promotion gate writes ``registered_version`` into decision.json; the
deploy pipeline downloads that file from the training run that started it (fixed when the run
is queued) in every stage and sets ``$(modelVersion)`` from it, so dev and prod deploy the same
version however long an approval waits, and nothing ever deploys ``@latest``.
``--requested N`` (a manual run for a given version) replaces it.

Guarantee: exit 0 after printing the Azure Pipelines command that sets the read-only variable
``modelVersion``; otherwise one line naming the problem (the run registered nothing, the file
is missing or unreadable, the version is not a number), exit 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

FROM_TRAINING = "training"


class ReleaseVersionError(Exception):
    """No usable model version; the message says why and what to do."""


def release_version(decision_file: Path, requested: str) -> str:
    """The version to release: ``requested`` unless it is 'training', else the decision's."""
    if requested != FROM_TRAINING:
        if not requested.isdigit():
            raise ReleaseVersionError(f"modelVersion must be a version number, got {requested!r}")
        return requested
    try:
        decision = json.loads(decision_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReleaseVersionError(f"{decision_file} not found: no training decision") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ReleaseVersionError(f"{decision_file}: unreadable ({error})") from None
    version = decision.get("registered_version") if isinstance(decision, dict) else None
    if version is None:
        raise ReleaseVersionError(
            f"{decision_file}: the training run registered no model (the gate kept the current "
            "one); run the deploy pipeline by hand with modelVersion set to a version"
        )
    if not str(version).isdigit():
        raise ReleaseVersionError(f"{decision_file}: registered_version {version!r} is no number")
    return str(version)


def set_variable_command(version: str) -> str:
    """The logging command that sets $(modelVersion) for the rest of the job, read-only."""
    return f"##vso[task.setvariable variable=modelVersion;isreadonly=true]{version}"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--decision", type=Path, required=True, metavar="FILE")
    parser.add_argument("--requested", default=FROM_TRAINING, metavar="training|N")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        version = release_version(args.decision, args.requested.strip())
    except ReleaseVersionError as error:
        print(f"release version: error: {error}", file=sys.stderr)
        return 1
    print(f"release version: {version}")
    print(set_variable_command(version))
    return 0


if __name__ == "__main__":
    sys.exit(main())
