"""Run the data expectation suites on the raw and prepared data and write the data report.

    python -m <package>.validate_data --raw-data FILE --prepared-dir DIR --report DIR
        [--reference-dir data/reference] [--test-size 0.25] [--data NAME=FILE ...]
        [--suite NAME ...]

Writes ``DIR/data-report.md``, ``DIR/data-report.html`` and ``DIR/data-report.json``, prints
one line per failed check, and exits 0 when every check passed, 1 when any failed (the
report names the column, the rule, the observed value and sample rows) and 2 when called
wrong (a missing file, a missing reference profile). Suites live in ``data_checks/suites/``;
``--suite`` runs only the named ones (``--suite penguins_raw`` needs no ``--prepared-dir``).

    python -m <package>.validate_data refresh-reference --raw-data FILE
        [--reference-dir data/reference] [--data NAME=FILE ...] [--check]

Recomputes the reference profile the drift checks compare with, on purpose, from data the
team trusts. With ``--check`` it writes nothing and exits 1 when a stored profile differs.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from .cli import (
    StepArgumentParser,
    StepError,
    UsageError,
    existing_dir,
    existing_file,
    file_in,
    open_fraction,
    output_dir,
    run_step,
    write_text_atomically,
)
from .data_checks.model import DataCheckError, Outcome, RunOptions, Suite
from .data_checks.profile import build_profile, dump_profile, profile_path
from .data_checks.report import verdict, write_reports
from .data_checks.runner import check_inputs, run_suites  # GX loads only when suites run
from .data_checks.suites import discover

REFRESH = "refresh-reference"
DEFAULT_REFERENCE_DIR = Path("data/reference")  # relative to the repository root (cwd)
BUILT_IN_TABLES = ("raw", "train", "test")


def read_table(path: Path, flag: str) -> pd.DataFrame:
    """A CSV file as the checks see it: types inferred, only an empty field is missing.

    ``NA`` or ``null`` stay text, as in the project's loader (``data.py``), so a category
    spelled ``NA`` is reported as an unknown value rather than silently becoming a null.
    """
    try:
        return pd.read_csv(path, keep_default_na=False, na_values=[""])
    except pd.errors.EmptyDataError:
        raise StepError(f"{flag}: {path} is empty, expected a CSV header") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else "unreadable"
        raise StepError(f"{flag}: {path} is not a readable CSV file ({reason})") from None


def named_file(value: str) -> tuple[str, Path]:
    """argparse type for --data: ``NAME=FILE`` with a new table name and an existing file."""
    name, sep, file = value.partition("=")
    if not sep or not name.isidentifier():
        raise argparse.ArgumentTypeError(f"expected NAME=FILE with NAME a word, got {value!r}")
    if name in BUILT_IN_TABLES:
        raise argparse.ArgumentTypeError(f"table {name!r} comes from --raw-data/--prepared-dir")
    return name, existing_file(file)


def _add_input_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--raw-data", type=existing_file, required=True, metavar="FILE")
    parser.add_argument(
        "--prepared-dir",
        type=existing_dir,
        metavar="DIR",
        help="the folder prepare wrote train.csv and test.csv to (needed by penguins_split)",
    )
    parser.add_argument(
        "--reference-dir",
        type=Path,
        default=DEFAULT_REFERENCE_DIR,
        metavar="DIR",
        help="where the reference profiles are (default: data/reference)",
    )
    parser.add_argument(
        "--data",
        type=named_file,
        action="append",
        default=[],
        metavar="NAME=FILE",
        help="a further table for a suite of your own (repeatable)",
    )
    parser.add_argument(
        "--suite",
        action="append",
        default=[],
        metavar="NAME",
        help="run only this suite (repeatable; default: every suite in data_checks/suites)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = StepArgumentParser(
        prog=f"python -m {__package__}.validate_data",
        description="Run the data expectation suites and write the data report. "
        f"`{REFRESH} --help` shows how to refresh the reference profile.",
    )
    _add_input_flags(parser)
    parser.add_argument("--report", type=Path, required=True, metavar="DIR")
    parser.add_argument(
        "--validated-output",
        type=Path,
        default=None,
        metavar="DIR",
        help="when every suite passes, copy the prepared train.csv and test.csv here: the "
        "training pipeline trains only on data that passed (nothing is written on failure)",
    )
    parser.add_argument(
        "--test-size",
        type=open_fraction,
        default=0.25,
        metavar="FRACTION",
        help="the --test-size prepare was run with (default 0.25)",
    )
    return parser


def build_refresh_parser() -> argparse.ArgumentParser:
    parser = StepArgumentParser(
        prog=f"python -m {__package__}.validate_data {REFRESH}",
        description="Recompute the reference profiles of the drift checks from trusted data.",
    )
    _add_input_flags(parser)
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 when a stored profile differs from the data",
    )
    return parser


def load_tables(args: argparse.Namespace) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """Every table the command line names, and the file each came from."""
    files: dict[str, Path] = {"raw": args.raw_data}
    if args.prepared_dir is not None:
        hint = "run prepare first"
        files["train"] = file_in(args.prepared_dir, "train.csv", "--prepared-dir", hint)
        files["test"] = file_in(args.prepared_dir, "test.csv", "--prepared-dir", hint)
    flags = {"raw": "--raw-data", "train": "--prepared-dir", "test": "--prepared-dir"}
    for name, path in args.data:
        files[name] = path
    tables = {name: read_table(path, flags.get(name, "--data")) for name, path in files.items()}
    return tables, {name: str(path) for name, path in files.items()}


def select_suites(names: Sequence[str]) -> list[Suite]:
    """Every discovered suite, or only those named (each name must exist)."""
    try:
        suites = discover()
    except DataCheckError as error:
        raise UsageError(str(error)) from None
    known = [suite.name for suite in suites]
    unknown = [name for name in names if name not in known]
    if unknown:
        raise UsageError(f"--suite: no suite named {unknown[0]!r} (known: {', '.join(known)})")
    return [suite for suite in suites if not names or suite.name in names]


def _failure_line(o: Outcome) -> str:
    column = f" [{o.column}]" if o.column else ""
    lines = [row.line for row in o.sample_rows if row.line is not None]
    where = f" (line{'s' if len(lines) > 1 else ''} {', '.join(map(str, lines))})" if lines else ""
    return f"{o.status.upper()} {o.suite}/{o.table} {o.check}{column}: {o.observed}{where}"


def _validate(args: argparse.Namespace) -> str:
    tables, sources = load_tables(args)
    options = RunOptions(test_size=args.test_size)
    try:
        outcomes = run_suites(
            select_suites(args.suite), tables, reference_dir=args.reference_dir, options=options
        )
    except DataCheckError as error:
        raise UsageError(str(error)) from None
    report_dir = output_dir(args.report, "--report")
    paths = write_reports(outcomes, report_dir, sources)
    for outcome in outcomes:
        if not outcome.passed:
            print(_failure_line(outcome).replace("\n", " "))
    summary = f"{verdict(outcomes)}; report: {paths['html']}"
    if not all(o.passed for o in outcomes):
        raise StepError(summary)
    if args.validated_output is not None:
        if args.prepared_dir is None:
            raise UsageError("--validated-output needs --prepared-dir: it passes that data on")
        target = output_dir(args.validated_output, "--validated-output")
        for name in ("train.csv", "test.csv"):
            shutil.copyfile(args.prepared_dir / name, target / name)
    return summary


def _refresh(args: argparse.Namespace) -> str:
    tables, sources = load_tables(args)
    drifting = [suite for suite in select_suites(args.suite) if suite.drift is not None]
    changed = []
    try:
        check_inputs(drifting, tables)
    except DataCheckError as error:
        raise UsageError(str(error)) from None
    for suite in drifting:
        names = {t: Path(sources[t]).name for t in suite.tables}
        try:
            text = dump_profile(build_profile(suite, tables, names))
        except DataCheckError as error:
            raise StepError(f"{suite.name}: {error}") from None
        path = profile_path(args.reference_dir, suite.name)
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if text != current:
            changed.append(path)
            if not args.check:
                output_dir(args.reference_dir, "--reference-dir")
                write_text_atomically(text, path)
    if args.check and changed:
        stale = ", ".join(str(p) for p in changed)
        raise StepError(f"reference profile out of date with the data: {stale}; refresh on purpose")
    if args.check:
        return f"{len(drifting)} reference profile(s) match the data"
    where = args.reference_dir
    return f"{len(changed)} of {len(drifting)} reference profile(s) rewritten in {where}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit code (0 passed, 1 failed, 2 called wrong)."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == [REFRESH]:
        return run_step(f"validate_data {REFRESH}", build_refresh_parser(), _refresh, arguments[1:])
    return run_step("validate_data", build_parser(), _validate, arguments)


if __name__ == "__main__":
    raise SystemExit(main())
