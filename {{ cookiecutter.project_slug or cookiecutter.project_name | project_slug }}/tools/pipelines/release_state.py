"""Is this a first release? Sets the job's output variable ``firstRelease`` (true/false).

    python tools/pipelines/release_state.py --environment prod

A first release is one where the environment's endpoint has no blue deployment: there is
nothing to compare the candidate with and nothing to roll back to, so the deploy pipeline
skips the traffic steps (green goes live through promotion, after its smoke tests).

Guarantee: exit 0 after printing ``firstRelease`` as an output variable; exit 1 with one line
when Azure cannot be asked, exit 2 for an unusable project.yml.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def is_first_release(client: Any, endpoint_name: str) -> bool:
    """True when the endpoint does not exist yet or has no blue deployment."""
    from azure.core.exceptions import ResourceNotFoundError

    try:
        deployments = client.online_deployments.list(endpoint_name=endpoint_name)
        return "blue" not in {str(d.name) for d in deployments}
    except ResourceNotFoundError:
        return True


def output_command(first: bool) -> str:
    return f"##vso[task.setvariable variable=firstRelease;isOutput=true]{str(first).lower()}"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, default=Path("project.yml"), metavar="FILE")
    parser.add_argument("--environment", choices=("dev", "prod"), required=True)
    return parser


def main(argv: list[str] | None = None, *, connect: Callable[[Any], Any] | None = None) -> int:
    config_module = importlib.import_module("aml_tool.config")
    workspace = importlib.import_module("aml_tool.workspace")
    args = build_parser().parse_args(argv)
    try:
        config = config_module.load_config(args.config, args.environment)
        first = is_first_release((connect or workspace.connect)(config), config.endpoint_name)
    except config_module.ConfigError as error:
        print(f"release state: error: {error}", file=sys.stderr)
        return 2
    except workspace.AmlError as error:
        print(f"release state: error: {error}", file=sys.stderr)
        return 1
    print(f"{config.endpoint_name}: {'first release' if first else 'blue serves; later release'}")
    print(output_command(first))
    return 0


if __name__ == "__main__":
    sys.exit(main())
