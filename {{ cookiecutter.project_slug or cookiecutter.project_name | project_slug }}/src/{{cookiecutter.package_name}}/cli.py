"""Command-line plumbing shared by the pipeline steps (prepare, train, evaluate, score).

Every step is called the same way locally, from the Makefile and as an AzureML component, so
its exit code means the same everywhere:

- 0: the step finished and wrote all of its outputs;
- 1: the step was called correctly but an input's content is unusable (it breaks the data
  schema, or a model cannot be used);
- 2: the step was called wrong: an unknown or malformed flag, a missing file or directory.

On failure the step prints exactly one line to stderr, ``<step>: error: <what and why>``, and
writes no output file.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd


class StepError(Exception):
    """An input the step cannot use; the message names the input and the rule it breaks."""

    exit_code = 1


class UsageError(StepError):
    """The step was called wrong: a flag or a path. Exits 2, like argparse does."""

    exit_code = 2


class StepArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser that raises UsageError instead of printing usage and exiting.

    So ``main(argv)`` can return 2 with a single error line, and tests call ``main`` directly.
    """

    def error(self, message: str):  # argparse's hook for every parsing error
        raise UsageError(message)


# Top-level modules that come with an extra of pyproject.toml, not with the core install.
EXTRA_OF_MODULE = {"great_expectations": "data", "azure": "aml"}


def missing_extra(error: ModuleNotFoundError) -> str | None:
    """One line telling which extra to install, when ``error`` is an extra's missing module."""
    extra = EXTRA_OF_MODULE.get((error.name or "").split(".")[0])
    if extra is None:
        return None
    return f"this needs the '{extra}' extra: pip install -e '.[{extra}]'"


def run_step(
    step: str,
    parser: argparse.ArgumentParser,
    body: Callable[[argparse.Namespace], str],
    argv: Sequence[str] | None,
) -> int:
    """Parse ``argv``, run ``body`` and turn the outcome into an exit code.

    ``body`` returns a one-line summary, printed to stdout on success. A StepError becomes one
    line on stderr and its exit code; any other exception is a bug and keeps its traceback.
    """
    try:
        args = parser.parse_args(argv)
        summary = body(args)
    except StepError as exc:
        # repr-style escaping keeps a newline inside a data value from splitting the line.
        message = str(exc).replace("\r", "\\r").replace("\n", "\\n")
        print(f"{step}: error: {message}", file=sys.stderr)
        return exc.exit_code
    except ModuleNotFoundError as exc:
        hint = missing_extra(exc)
        if hint is None:
            raise
        print(f"{step}: error: {hint}", file=sys.stderr)
        return 2
    print(f"{step}: {summary}")
    return 0


def existing_file(value: str) -> Path:
    """argparse type: a path to a file that exists."""
    path = Path(value)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"file not found: {value}")
    return path


def existing_dir(value: str) -> Path:
    """argparse type: a path to a directory that exists."""
    path = Path(value)
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"directory not found: {value}")
    return path


def positive_int(value: str) -> int:
    """argparse type: an integer >= 1."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number


def open_fraction(value: str) -> float:
    """argparse type: a number strictly between 0 and 1 (a share of the rows)."""
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {value!r}") from None
    if not 0.0 < number < 1.0:
        raise argparse.ArgumentTypeError(f"must be strictly between 0 and 1, got {number}")
    return number


def file_in(directory: Path, name: str, flag: str, hint: str = "") -> Path:
    """The file ``name`` inside ``directory``; UsageError naming ``flag`` when it is absent."""
    path = directory / name
    if not path.is_file():
        suffix = f" ({hint})" if hint else ""
        raise UsageError(f"{flag}: {directory} has no {name}{suffix}")
    return path


def output_dir(value: Path, flag: str) -> Path:
    """Create the output directory ``value`` (and its parents) if needed and return it."""
    if value.exists() and not value.is_dir():
        raise UsageError(f"{flag}: {value} exists and is not a directory")
    value.mkdir(parents=True, exist_ok=True)
    return value


def write_csv_atomically(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` to ``path`` so that readers see the old file or the whole new one.

    The data goes to a temporary file in the same directory first, then replaces ``path`` in
    one rename, so a crash mid-write never leaves a truncated CSV behind.
    """
    temporary = path.with_name(f".{path.name}.partial")
    try:
        frame.to_csv(temporary, index=False, lineterminator="\n")
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)


def write_bytes_atomically(content: bytes, path: Path) -> None:
    """Write ``content`` to ``path`` with the same all-or-nothing rename as CSVs."""
    temporary = path.with_name(f".{path.name}.partial")
    try:
        temporary.write_bytes(content)
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)


def write_text_atomically(text: str, path: Path) -> None:
    """Write ``text`` (UTF-8) to ``path`` with the same all-or-nothing rename as CSVs."""
    write_bytes_atomically(text.encode("utf-8"), path)
