"""``python -m backlog``: validate, plan, export and apply the backlog of this ML project.

Exit codes: 0 everything in place / valid; 1 ``validate`` found problems, or ``apply`` could
not put some item in place; 2 bad input or configuration (one line per problem, nothing sent);
3 authentication or permission (reported by ``apply``). ``backlog.yml`` is always validated
completely before anything else happens, and nothing is sent to Azure DevOps unless every
check passed. Only ``apply`` needs the ``backlog`` extra; it is imported lazily so ``plan``,
``validate`` and ``export`` run on the standard library, PyYAML and markupsafe alone.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from backlog import naming
from backlog.config import PLACEHOLDER_ORG_URL, ConfigError, ProjectConfig, load_config
from backlog.export import (
    ExportError,
    iterations_to_create,
    render_csv,
    render_markdown,
    write_text_atomically,
)
from backlog.model import Plan
from backlog.planner import build_plan
from backlog.process import PROFILES, profile_for
from backlog.render import output_width, render_plan
from backlog.schema import load_spec
from backlog.spec import BacklogSpec

BACKLOG_FILE = Path("backlog") / "backlog.yml"
EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
PROJECT_FILE = "project.yml"
EXTRA_MISSING = "python -m backlog apply needs the backlog extra: pip install -e '.[backlog]'"
# Top-level modules of the backlog extra: an ImportError naming one of them means the extra
# is not installed, anything else is a real bug and is not hidden.
EXTRA_MODULES = frozenset({"azure", "msrest", "requests", "tenacity", "rich"})
ENV_ORG, ENV_PROJECT, ENV_TEAM = "AZURE_DEVOPS_ORG_URL", "AZURE_DEVOPS_PROJECT", "AZURE_DEVOPS_TEAM"


@dataclass(frozen=True)
class Loaded:
    spec: BacklogSpec
    config: ProjectConfig
    plan: Plan


class InputError(Exception):
    """Bad input; ``lines`` are printed to stderr one per line."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except InputError as error:
        for line in error.lines:
            print(line, file=sys.stderr)
        return EXIT_FAILED if args.command == "validate" else EXIT_BAD_INPUT


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--root", type=Path, help="project root (default: the nearest folder up with project.yml)"
    )
    common.add_argument("--file", type=Path, help="backlog file (default: backlog/backlog.yml)")
    process = argparse.ArgumentParser(add_help=False)
    process.add_argument(
        "--process",
        choices=sorted(PROFILES),
        default="agile",
        help="process whose type and field names are shown (default: agile)",
    )

    parser = argparse.ArgumentParser(prog="python -m backlog", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", parents=[common], help="check backlog.yml (offline)")
    validate.set_defaults(handler=run_validate)
    plan = commands.add_parser("plan", parents=[common, process], help="print the plan (offline)")
    plan.set_defaults(handler=run_plan)

    export = commands.add_parser("export", parents=[common, process], help="write CSV or Markdown")
    export.add_argument("--format", choices=("csv", "md"), required=True)
    export.add_argument("--output", type=Path, required=True, help="file, or - for stdout")
    export.add_argument(
        "--project", help=f"Azure DevOps project for iteration paths ({ENV_PROJECT})"
    )
    export.add_argument(
        "--no-iterations",
        action="store_true",
        help="csv: no Iteration Path column, for a board whose sprints do not exist yet",
    )
    export.add_argument("--wiki", action="store_true", help="md: fence mermaid as ::: for a wiki")
    export.set_defaults(handler=run_export)

    apply = commands.add_parser("apply", parents=[common], help="create or update the board")
    apply.add_argument(
        "--org-url", help=f"https://dev.azure.com/ORG or a collection URL ({ENV_ORG})"
    )
    apply.add_argument("--project", help=f"Azure DevOps project ({ENV_PROJECT})")
    apply.add_argument("--team", help=f"team whose sprints and board are set ({ENV_TEAM})")
    apply.add_argument("--dry-run", action="store_true", help="read the board, print the changes")
    apply.add_argument("--prune", action="store_true", help="remove items no longer in the file")
    apply.add_argument(
        "--prefer-file",
        action="store_true",
        help="a conflict (file and board both changed a field) gets the file's value",
    )
    apply.add_argument("--output", choices=("text", "json"), default="text")
    apply.add_argument("--yes", action="store_true", help="confirm --prune without asking")
    apply.set_defaults(handler=run_apply_command)
    return parser


def project_root(start: Path) -> Path:
    """The nearest folder from ``start`` up that holds project.yml (``start`` if none does, so
    the error names the file the user expected). The tool lives in tools/, not at the root, so
    the root is where the user runs it, as with git."""
    for folder in (start, *start.parents):
        if (folder / PROJECT_FILE).is_file():
            return folder
    return start


def load(args: argparse.Namespace) -> Loaded:
    """Validate the backlog file completely, read project.yml, build the plan; or raise."""
    root = Path(args.root) if args.root is not None else project_root(Path.cwd())
    path = args.file if args.file is not None else root / BACKLOG_FILE
    spec, problems = load_spec(path, project_root=root)
    if problems:
        raise InputError([*problems, f"{len(problems)} problem(s) in {path.name}; nothing sent"])
    try:
        config = load_config(root)
    except ConfigError as error:
        raise InputError([str(error)]) from None
    return Loaded(spec, config, build_plan(spec, config))


def run_validate(args: argparse.Namespace) -> int:
    """Exit 0 when backlog.yml and project.yml's Azure DevOps target are valid, else 1."""
    loaded = load(args)
    config = loaded.config
    # project.yml's target is checked too, so a pull request cannot break a later apply.
    problems = [
        f"project.yml: azure_devops.{field}: {_shown(value)!r}: {problem}"
        for field, value, rule in (
            ("organization_url", config.org_url, naming.check_org_url),
            ("project", config.ado_project, naming.check_project_name),
            ("team", config.ado_team, naming.check_team_name),
        )
        if (problem := rule(value))
    ]
    if problems:
        raise InputError(problems)
    for warning in loaded.plan.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    plan = loaded.plan
    print(
        f"{args.file or BACKLOG_FILE}: valid - {len(plan.iterations)} sprints, "
        f"{len(plan.items)} work items, {len(plan.queries)} queries"
    )
    return EXIT_OK


def run_plan(args: argparse.Namespace) -> int:
    """Print the plan; offline."""
    loaded = load(args)
    width = output_width(sys.stdout)
    sys.stdout.write(render_plan(loaded.plan, profile_for(args.process), width))
    return EXIT_OK


def run_export(args: argparse.Namespace) -> int:
    """Write the CSV import file or the Markdown plan, whole or not at all; offline.

    ``--output -`` writes to stdout; the remarks then go to stderr, so the export stays clean.
    """
    loaded = load(args)
    profile = profile_for(args.process)
    to_stdout = str(args.output) == "-"
    remarks = sys.stderr if to_stdout else sys.stdout
    to_create: list[str] = []
    if args.format == "csv":
        project = _choose(args.project, ENV_PROJECT, loaded.config.ado_project)
        _check("Azure DevOps project", project, naming.check_project_name)
        iterations = not args.no_iterations
        try:
            content = render_csv(loaded.plan, profile, project.value, iterations=iterations)
        except ExportError as error:
            raise InputError([f"export: {error}"]) from None
        to_create = iterations_to_create(loaded.plan, project.value) if iterations else []
    else:
        content = render_markdown(loaded.plan, loaded.spec, profile, wiki=args.wiki)
    if to_stdout:
        _write_stdout(content)
    else:
        write_text_atomically(args.output, content)
    where = "stdout" if to_stdout else args.output
    count = len(loaded.plan.items)
    print(f"wrote {where} ({count} work items, {profile.name} names)", file=remarks)
    if to_create:
        print(
            "Create these sprints before the import (Project settings > Boards > Project "
            "configuration), or export with --no-iterations:",
            file=remarks,
        )
        for line in to_create:
            print(f"  {line}", file=remarks)
    return EXIT_OK


def _write_stdout(content: str) -> None:
    """UTF-8 bytes as rendered: no newline translation (the CSV's rows end in CRLF)."""
    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(content)
    else:
        buffer.write(content.encode("utf-8"))
        buffer.flush()


def run_apply_command(args: argparse.Namespace) -> int:
    """Resolve and check the target, then hand the plan to ``backlog.apply.run_apply``."""
    loaded = load(args)
    org = _choose(args.org_url, ENV_ORG, loaded.config.org_url, flag="--org-url")
    project = _choose(args.project, ENV_PROJECT, loaded.config.ado_project, flag="--project")
    # The team in project.yml belongs to the project in project.yml; another project gets its
    # own default team, "<project> Team", unless a team is given.
    team_default = loaded.config.ado_team if project.source == "project.yml" else None
    team = _choose(args.team, ENV_TEAM, team_default or f"{project.value} Team", flag="--team")
    _check("organization URL", org, naming.check_org_url)
    if org.value.rstrip("/").lower() == PLACEHOLDER_ORG_URL:
        raise InputError(
            [
                f"{org.source}: {org.value} is the template's placeholder; pass --org-url or set "
                f"{ENV_ORG} to your organization (https://dev.azure.com/ORG)"
            ]
        )
    _check("Azure DevOps project", project, naming.check_project_name)
    _check("team", team, naming.check_team_name)
    if args.prune and not args.dry_run and not args.yes and not _confirm_prune():
        raise InputError(
            [
                "--prune removes items that are no longer in backlog.yml: confirm it with --yes "
                "(nothing sent)"
            ]
        )
    try:
        from backlog.apply import ApplyOptions, run_apply
    except ImportError:
        print(EXTRA_MISSING, file=sys.stderr)
        return EXIT_BAD_INPUT
    options = ApplyOptions(
        org_url=org.value,
        project=project.value,
        team=team.value,
        dry_run=args.dry_run,
        prune=args.prune,
        prefer_file=args.prefer_file,
        output=args.output,
    )
    try:
        return run_apply(loaded.plan, options)
    except ImportError as error:
        if (error.name or "").split(".")[0] in EXTRA_MODULES:
            print(EXTRA_MISSING, file=sys.stderr)
            return EXIT_BAD_INPUT
        raise


@dataclass(frozen=True)
class _Choice:
    value: str
    source: str  # what to name in a message: the flag, the variable or the file field


def _choose(
    flag_value: str | None, env: str, configured: str, *, flag: str = "--project"
) -> _Choice:
    """Flag first, then the environment, then project.yml."""
    if flag_value is not None:
        return _Choice(flag_value, flag)
    if os.environ.get(env):
        return _Choice(os.environ[env], env)
    return _Choice(configured, "project.yml")


def _check(what: str, choice: _Choice, rule) -> None:
    if problem := rule(choice.value):
        raise InputError([f"{choice.source}: {what} {_shown(choice.value)!r}: {problem}"])


def _shown(value: str) -> str:
    """``value`` safe to print (see ``naming.mask_url``)."""
    return naming.mask_url(value)


def _confirm_prune() -> bool:
    if not sys.stdin.isatty():
        return False
    # The question goes to stderr, so stdout stays clean for --output json.
    print("Remove board items that are no longer in backlog.yml? [y/N] ", end="", file=sys.stderr)
    return sys.stdin.readline().strip().lower() in {"y", "yes"}
