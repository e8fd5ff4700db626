"""``python -m aml_tool``: validate, run locally, submit, sweep, deploy and route traffic.

    validate                      check every definition in aml/ offline (no Azure account)
    run-local                     run the training pipeline's steps here, same commands
    setup                         create the compute cluster, environment and data asset
    submit [--wait]               submit the training pipeline (aml/pipelines/train.yml)
    sweep [--wait]                submit the hyper-parameter sweep (aml/jobs/sweep.yml)

An online endpoint (project.yml: project.deployment online) adds:
    deploy --slot S --model-version N  deploy a registered version to blue or green (no traffic)
    traffic --blue N --green N    split live traffic between blue and green
    mirror --green N              copy N% of live requests to green, answers ignored
    rollback                      all live traffic to blue, mirroring off (no blue yet: the
                                  candidate is deleted and nothing is served)
    promote --model-version N     deploy green's version N to blue (no traffic change)
    retire                        delete green once it serves no live traffic
    teardown                      delete the whole endpoint (dev only: nothing bills idle)
A batch endpoint (project.deployment batch) adds:
    deploy --model-version N      deploy a registered version as the endpoint's default

The release commands (deploy onwards) need --environment dev|prod: that environment's endpoint,
resource group and workspace (project.yml, azureml.environments) are used; --model-version is
required, so a release never deploys whatever happens to be the latest registered model.
Only the commands of the project's own deployment exist (--help lists them).
The workspace comes from project.yml (section azureml), the login from azure-identity
(az login locally; a service connection in CI). Exit codes: 0 done, 1 a check or job failed
or Azure refused, 2 wrong call or unusable project.yml. Errors are one line on stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from .config import ENVIRONMENTS, ConfigError, WorkspaceConfig, load_config, read_deployment
from .wiring import DefinitionError, PipelineSpec

# Top-level modules of the extras: an ImportError naming one of them means that extra is not
# installed (one line says which to install); anything else is a real bug and is not hidden.
# The package's cli.py keeps its own copy on purpose: its steps run in AzureML jobs whose code
# is src/ alone, and the tool cannot import a package whose name differs in every project.
EXTRA_OF_MODULE = {"azure": "aml", "great_expectations": "data"}


def missing_extra(error: ModuleNotFoundError) -> str | None:
    """One line telling which extra to install, when ``error`` is an extra's missing module."""
    extra = EXTRA_OF_MODULE.get((error.name or "").split(".")[0])
    if extra is None:
        return None
    return f"this needs the '{extra}' extra: pip install -e '.[{extra}]'"


PROG = f"python -m {__package__}"
# The commands that change an endpoint, by what project.yml says the project deploys.
RELEASE_COMMANDS = {
    "online": ("deploy", "traffic", "mirror", "rollback", "promote", "retire", "teardown"),
    "batch": ("deploy",),
    "none": (),
}
TRAIN_PIPELINE = Path("pipelines/train.yml")
SWEEP_JOB = Path("jobs/sweep.yml")


class UsageError(Exception):
    """The command was called wrong; exit code 2."""


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's hook: one line and exit 2, via UsageError
        raise UsageError(message)


def config_path(argv: Sequence[str] | None) -> Path:
    """The --config the command line names (project.yml when none), read before the parser
    is built, because what the project deploys decides which commands exist."""
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("--config", type=Path, default=Path("project.yml"))
    known, _ = early.parse_known_args(argv)
    return known.config


def build_parser(deployment: str | None = None) -> argparse.ArgumentParser:
    """The command line of a project that deploys ``deployment``; None (project.yml could not
    be read) offers every command, so that the command itself reports the unreadable file."""
    kinds = ("online", "batch") if deployment is None else (deployment,)
    description = "AzureML tasks of this project"
    if deployment is not None:
        description += f" (project.yml: project.deployment {deployment})"
    parser = ArgumentParser(prog=PROG, description=description + ".")
    parser.add_argument("--config", type=Path, default=Path("project.yml"), metavar="FILE")
    parser.add_argument("--aml-dir", type=Path, default=Path("aml"), metavar="DIR")
    if deployment != "none":
        parser.add_argument("--environment", choices=ENVIRONMENTS, default=None)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("validate", help="validate every AzureML definition offline")
    local = commands.add_parser("run-local", help="run the pipeline's steps on this machine")
    local.add_argument("--pipeline", type=Path, default=None, metavar="FILE")
    local.add_argument("--work-dir", type=Path, default=None, metavar="DIR")
    local.add_argument("--registry", default="outputs/local-registry", metavar="azureml|DIR")
    local.add_argument("--set", action="append", default=[], metavar="[STEP.]INPUT=VALUE")
    commands.add_parser("setup", help="create the compute cluster, environment and data asset")
    for name, help_text in (
        ("submit", "submit the training pipeline"),
        ("sweep", "submit the sweep"),
    ):
        job = commands.add_parser(name, help=help_text)
        job.add_argument("--set", action="append", default=[], metavar="INPUT=VALUE")
        job.add_argument("--wait", action="store_true", help="wait and exit 1 unless it completes")
        job.add_argument("--timeout-minutes", type=float, default=120, metavar="N")
    if deployment != "none":
        deploy = commands.add_parser("deploy", help="deploy a registered model")
        if "online" in kinds:
            help_text = "online endpoint: blue or green" if deployment is None else None
            deploy.add_argument(
                "--slot", choices=("blue", "green"), required=deployment == "online", help=help_text
            )
        deploy.add_argument("--model-version", required=True, metavar="N")
    if "online" in kinds:
        _add_traffic_commands(commands)
    return parser


def _add_traffic_commands(commands: Any) -> None:
    traffic = commands.add_parser("traffic", help="split live traffic (online endpoint)")
    traffic.add_argument("--blue", type=int, required=True, metavar="PERCENT")
    traffic.add_argument("--green", type=int, required=True, metavar="PERCENT")
    mirror = commands.add_parser("mirror", help="mirror a share of traffic to green")
    mirror.add_argument("--green", type=int, required=True, metavar="PERCENT")
    commands.add_parser("rollback", help="all live traffic to blue, mirroring off")
    promote = commands.add_parser("promote", help="deploy green's version to blue")
    promote.add_argument("--model-version", required=True, metavar="N")
    commands.add_parser("retire", help="delete green once it serves no live traffic")
    commands.add_parser("teardown", help="delete the whole endpoint (dev only)")


def parse_assignments(items: list[str]) -> dict[str, str]:
    """``NAME=VALUE`` items as a dict; UsageError for an item without '='."""
    values = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--set expects NAME=VALUE, got {item!r}")
        values[name.strip()] = value
    return values


def cmd_validate(args: argparse.Namespace, echo: Callable[[str], None]) -> int:
    from .definitions import validate_definitions

    report = validate_definitions(args.aml_dir, load_config(args.config))
    for path, kind in report.checked:
        echo(f"ok  {path} ({kind})")
    for problem in report.problems:
        print(f"aml: {problem}", file=sys.stderr)
    verdict = "passed" if report.passed else f"FAILED with {len(report.problems)} problem(s)"
    echo(f"validation {verdict}: {len(report.checked)} definitions loaded")
    return 0 if report.passed else 1


def cmd_run_local(args: argparse.Namespace, echo: Callable[[str], None]) -> int:
    from .local_run import run_locally

    pipeline = args.pipeline or args.aml_dir / TRAIN_PIPELINE
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    work_dir = args.work_dir or Path("outputs") / "local-run" / stamp
    overrides = {"register.registry": str(args.registry), **parse_assignments(args.set)}
    runs = run_locally(pipeline.resolve(), work_dir.resolve(), overrides=overrides, echo=echo)
    echo(f"all {len(runs)} steps passed; outputs in {work_dir}")
    return 0


def job_overrides(path: Path, items: list[str]) -> dict[str, Any]:
    """``--set`` items as load_job overrides; each name must be a declared pipeline input."""
    try:
        declared = PipelineSpec.read(path).inputs
    except DefinitionError as error:
        raise UsageError(str(error)) from None
    overrides = {}
    for name, value in parse_assignments(items).items():
        if name not in declared:
            raise UsageError(f"--set {name}: not an input of {path.name} ({', '.join(declared)})")
        overrides[f"inputs.{name}"] = yaml.safe_load(value)
    return overrides


def cmd_setup(args: argparse.Namespace, config: WorkspaceConfig, client: Any, echo) -> int:
    from .workspace import setup_workspace

    # A release environment may name its own cluster (a batch endpoint scores on one).
    setup_workspace(client, args.aml_dir, echo, config.compute_name)
    return 0


def require_valid_definitions(aml_dir: Path, config: WorkspaceConfig) -> None:
    """AmlError with the first problem when the offline validation finds any."""
    from .definitions import validate_definitions
    from .workspace import AmlError

    report = validate_definitions(aml_dir, config)
    if not report.passed:
        raise AmlError(f"{report.problems[0]} (python -m {__package__} validate lists all)")


def cmd_submit(args: argparse.Namespace, config: WorkspaceConfig, client: Any, echo) -> int:
    from .workspace import load_pipeline, require_asset, require_compute, submit_job, wait_for_job

    path = args.aml_dir / (SWEEP_JOB if args.command == "sweep" else TRAIN_PIPELINE)
    require_valid_definitions(args.aml_dir, config)
    job = load_pipeline(path, job_overrides(path, args.set))
    require_compute(client, config)
    require_asset(client, "environment", _environment_name(args.aml_dir))
    created = submit_job(client, job, echo)
    if not args.wait:
        return 0
    return 0 if wait_for_job(client, created.name, args.timeout_minutes, echo=echo) else 1


def _environment_name(aml_dir: Path) -> str:
    from .wiring import read_yaml

    return str(read_yaml(aml_dir / "environment" / "environment.yml").get("name"))


def check_arguments(args: argparse.Namespace, config: WorkspaceConfig) -> None:
    """Usage errors of the release commands, found before logging in (UsageError)."""
    from .rollout import mirror_split, traffic_split
    from .workspace import AmlError

    if args.command in RELEASE_COMMANDS[config.deployment] and args.environment is None:
        raise UsageError(f"{args.command} needs --environment dev|prod")
    if args.command == "deploy" and config.deployment == "online" and args.slot is None:
        raise UsageError("deploy to an online endpoint needs --slot blue|green")
    if args.command == "teardown" and args.environment != "dev":
        raise UsageError("teardown deletes the whole endpoint and is for --environment dev only")
    try:
        if args.command == "traffic":
            traffic_split(args.blue, args.green)
        if args.command == "mirror":
            mirror_split(args.green)
    except AmlError as error:
        raise UsageError(str(error)) from None


def cmd_deploy(args: argparse.Namespace, config: WorkspaceConfig, client: Any, echo) -> int:
    from .rollout import deploy_batch, deploy_online

    require_valid_definitions(args.aml_dir, config)
    if config.deployment == "online":
        deploy_online(client, args.aml_dir, config, args.slot, args.model_version, echo)
    else:
        deploy_batch(client, args.aml_dir, config, args.model_version, echo)
    return 0


def cmd_traffic(args: argparse.Namespace, config: WorkspaceConfig, client: Any, echo) -> int:
    from . import rollout

    name = config.endpoint_name
    if args.command == "traffic":
        traffic = rollout.traffic_split(args.blue, args.green)
        rollout.set_traffic(client, name, traffic=traffic, echo=echo)
    elif args.command == "mirror":
        rollout.set_traffic(client, name, mirror=rollout.mirror_split(args.green), echo=echo)
    elif args.command == "rollback":
        rollout.roll_back(client, name, echo=echo)
    elif args.command == "retire":
        rollout.retire_green(client, name, echo=echo)
    else:
        rollout.tear_down(client, name, echo=echo)
    return 0


def cmd_promote(args: argparse.Namespace, config: WorkspaceConfig, client: Any, echo) -> int:
    from .rollout import promote_green

    require_valid_definitions(args.aml_dir, config)
    promote_green(client, args.aml_dir, config, args.model_version, echo)
    return 0


# The commands that log in to the workspace (validate and run-local never do).
AZURE_COMMANDS = {
    "setup": cmd_setup,
    "submit": cmd_submit,
    "sweep": cmd_submit,
    "deploy": cmd_deploy,
    "traffic": cmd_traffic,
    "mirror": cmd_traffic,
    "rollback": cmd_traffic,
    "retire": cmd_traffic,
    "teardown": cmd_traffic,
    "promote": cmd_promote,
}


def main(
    argv: Sequence[str] | None = None,
    *,
    connect: Callable[[WorkspaceConfig], Any] | None = None,
    echo: Callable[[str], None] = print,
) -> int:
    """Run one command; returns the exit code. ``connect`` is the seam tests replace."""
    try:
        return _run(argv, connect=connect, echo=echo)
    except ModuleNotFoundError as error:
        hint = missing_extra(error)
        if hint is None:
            raise
        print(f"aml: error: {hint}", file=sys.stderr)
        return 2


def _deployment_or_none(path: Path) -> str | None:
    try:
        return read_deployment(path)
    except ConfigError:
        return None  # the command reports it, with the same one line as every config error


def _run(argv, *, connect, echo) -> int:
    from .local_run import LocalRunError
    from .workspace import AmlError, first_line

    try:
        args = build_parser(_deployment_or_none(config_path(argv))).parse_args(argv)
        if args.command == "validate":
            return cmd_validate(args, echo)
        if args.command == "run-local":
            return cmd_run_local(args, echo)
        config = load_config(args.config, getattr(args, "environment", None))
        check_arguments(args, config)
        if connect is None:
            from .workspace import connect
        client = connect(config)
        return AZURE_COMMANDS[args.command](args, config, client, echo)
    except (UsageError, ConfigError) as error:
        print(f"aml: error: {error}", file=sys.stderr)
        return 2
    except (AmlError, LocalRunError, DefinitionError) as error:
        print(f"aml: error: {error}", file=sys.stderr)
        return 1
    except Exception as error:
        # Anything else Azure raises (a refused request, a service error): its first line is
        # the reason; the rest is request ids and links. Anything not from Azure is a bug.
        if not type(error).__module__.startswith(("azure.", "msrest.", "marshmallow.")):
            raise
        print(f"aml: error: Azure: {first_line(error)}", file=sys.stderr)
        return 1
