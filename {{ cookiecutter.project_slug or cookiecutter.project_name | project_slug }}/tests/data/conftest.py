"""Fixtures of the data tests: the bundled data, a prepared split, and a helper that runs
``validate_data`` on (possibly broken) copies and returns its exit code and reports.

Every run goes through the real command line (``validate_data.main``) in this process, so
great-expectations is imported once per session and each run takes a fraction of a second.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from {{ cookiecutter.package_name }} import prepare, validate_data

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

ROOT = Path(__file__).resolve().parents[2]
RAW_FILE = ROOT / "data" / "raw" / "penguins.csv"
REFERENCE_DIR = ROOT / "data" / "reference"


@dataclass
class Run:
    """What one validate_data run produced."""

    code: int
    stdout: str
    stderr: str
    report_dir: Path

    @property
    def report(self) -> dict[str, Any]:
        return json.loads((self.report_dir / "data-report.json").read_text(encoding="utf-8"))

    @property
    def markdown(self) -> str:
        return (self.report_dir / "data-report.md").read_text(encoding="utf-8")

    @property
    def html(self) -> str:
        return (self.report_dir / "data-report.html").read_text(encoding="utf-8")

    def outcomes(self, suite: str | None = None, status: str | None = None) -> list[dict]:
        return [
            o
            for o in self.report["outcomes"]
            if (suite is None or o["suite"] == suite) and (status is None or o["status"] == status)
        ]

    def outcome(self, check: str, column: str | None, table: str | None = None) -> dict:
        """The one outcome of ``check`` on ``column`` (and ``table``, when given)."""
        found = [
            o
            for o in self.report["outcomes"]
            if o["check"] == check
            and o["column"] == column
            and (table is None or o["table"] == table)
        ]
        assert len(found) == 1, f"expected one {check} on {column}, found {len(found)}"
        return found[0]


@pytest.fixture(scope="session")
def raw_file() -> Path:
    """The bundled raw data file."""
    return RAW_FILE


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The committed reference profiles."""
    return REFERENCE_DIR


@pytest.fixture
def raw() -> pd.DataFrame:
    """A fresh copy of the bundled raw data, read as validate_data reads it, to break."""
    return validate_data.read_table(RAW_FILE, "--raw-data")


@pytest.fixture(scope="session")
def prepared_dir(tmp_path_factory) -> Path:
    """train.csv and test.csv made by the project's prepare step from the bundled data."""
    directory = tmp_path_factory.mktemp("prepared")
    code = prepare.main(["--raw-data", str(RAW_FILE), "--output-dir", str(directory)])
    assert code == 0, "prepare failed on the bundled data"
    return directory


@pytest.fixture(scope="session")
def run_validation(tmp_path_factory, prepared_dir) -> Callable[..., Run]:
    """``run_validation(raw=None, train=None, test=None, args=(), suites=())``: write the
    given frames (the bundled or prepared data for those left out) and run validate_data on
    them, with every suite or only those in ``suites``.

    Session-scoped so a module can run one validation and check it in several tests.
    """

    def _run(
        raw: pd.DataFrame | None = None,
        train: pd.DataFrame | None = None,
        test: pd.DataFrame | None = None,
        args: tuple[str, ...] = (),
        suites: tuple[str, ...] = (),
    ) -> Run:
        work = tmp_path_factory.mktemp("validation")
        raw_file = RAW_FILE
        if raw is not None:
            raw_file = work / "raw.csv"
            raw.to_csv(raw_file, index=False)
        split_dir = prepared_dir
        if train is not None or test is not None:
            split_dir = work / "prepared"
            split_dir.mkdir()
            for name, frame in (("train", train), ("test", test)):
                if frame is None:
                    frame = validate_data.read_table(prepared_dir / f"{name}.csv", name)
                frame.to_csv(split_dir / f"{name}.csv", index=False)
        report_dir = work / "report"
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = validate_data.main(
                [
                    "--raw-data", str(raw_file),
                    "--prepared-dir", str(split_dir),
                    "--report", str(report_dir),
                    "--reference-dir", str(REFERENCE_DIR),
                    *args,
                    *(f"--suite={name}" for name in suites),
                ]
            )  # fmt: skip
        return Run(code, out.getvalue(), err.getvalue(), report_dir)

    return _run
