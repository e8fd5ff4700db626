"""The vocabulary of the data tests: suites, drift rules and outcomes.

Nothing here imports great-expectations: a suite is declared with plain Python, and only the
runner turns it into GX objects when it actually validates data. So listing the suites,
reading a report or importing the ML package never pays GX's import time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

PASSED = "passed"
FAILED = "failed"
ERROR = "error"  # the check could not be evaluated (e.g. its column is missing): fails too

# A run validates named tables: "raw" (--raw-data), "train" and "test" (--prepared-dir), plus
# any table passed with --data NAME=FILE.
Tables = Mapping[str, pd.DataFrame]


class DataCheckError(Exception):
    """Inputs the data checks cannot work with (a missing reference profile, a suite that
    needs a table nobody passed). The message says what is missing and how to provide it."""


@dataclass(frozen=True, kw_only=True)
class SampleRow:
    """One offending row as the reader finds it: its line in the CSV file and its values."""

    line: int | None  # 1-based line in the CSV file (line 1 is the header); None if unknown
    values: dict[str, str]


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """One check's verdict on one table, with what a reader needs to find and fix the data.

    ``expected`` states the rule, ``observed`` what the data showed (a value, a count, the
    offending values), and ``sample_rows`` a few of the rows that broke the rule.
    """

    suite: str = ""
    table: str
    check: str  # the GX expectation type, or the name of one of our own checks
    column: str | None
    status: str  # PASSED, FAILED or ERROR
    expected: str
    observed: str
    description: str = ""
    sample_rows: tuple[SampleRow, ...] = ()

    @property
    def passed(self) -> bool:
        return self.status == PASSED


@dataclass(frozen=True, kw_only=True)
class RunOptions:
    """Settings of one run that checks may need, taken from the command line."""

    test_size: float = 0.25  # the share of rows prepare put in the test split
    split_tolerance: float = 0.05  # how far the observed test share may be from test_size


@dataclass(frozen=True, kw_only=True)
class DriftRules:
    """Which columns are compared with the reference profile, and how much change fails.

    Numeric columns: the mean may move at most ``max_mean_shift_std`` reference standard
    deviations (a GX ExpectColumnMeanToBeBetween), and the population stability index (PSI)
    over the reference's decile bins must stay at most ``max_psi_numeric``. Categorical
    columns: the PSI of the category shares (a missing value counts as a category) must stay
    at most ``max_psi_categorical``. PSI under 0.1 is usually read as no change, 0.1-0.25 as
    a moderate one. The defaults rarely fire on a fresh sample of the same population of a
    few hundred rows (ten bins are noisier than three categories, hence the higher limit),
    yet catch a mean moving half a standard deviation, or 15 points of share moving between
    two categories of similar size.
    """

    numeric: tuple[str, ...] = ()
    categorical: tuple[str, ...] = ()
    max_mean_shift_std: float = 0.25
    max_psi_numeric: float = 0.25
    max_psi_categorical: float = 0.1
    bins: int = 10


# A suite's own checks: everything GX has no fitting expectation for (checks across tables,
# for example). They receive every table of the run and return one Outcome per verdict.
OwnChecks = Callable[[Tables, RunOptions], list[Outcome]]


def no_own_checks(tables: Tables, options: RunOptions) -> list[Outcome]:
    """The default: a suite made only of GX expectations."""
    return []


@dataclass(frozen=True, kw_only=True)
class Suite:
    """A named set of expectations for one dataset, applied to each table in ``tables``.

    ``expectations`` is called only when the suite runs and returns great-expectations
    Expectation objects; it imports GX itself, inside the function, so declaring a suite
    stays cheap. ``drift`` adds the comparison with ``data/reference/<name>.json``.
    """

    name: str
    description: str
    tables: tuple[str, ...]
    expectations: Callable[[], list[Any]]
    own_checks: OwnChecks = no_own_checks
    also_reads: tuple[str, ...] = ()  # further tables the own checks read (not validated)
    drift: DriftRules | None = None
