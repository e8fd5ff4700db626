"""The split suite catches a broken train/test split: a missing target, sets with different
columns, a penguin in both sets, the wrong proportions, rows lost on the way."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import pytest

from {{ cookiecutter.package_name }} import validate_data

SPLIT = "penguins_split"
Frames = tuple[pd.DataFrame, pd.DataFrame]


@dataclass(frozen=True)
class Break:
    """A way to break train/test, and what the report must then say."""

    mutate: Callable[[pd.DataFrame, pd.DataFrame], Frames]
    check: str
    column: str | None
    table: str
    observed: str
    failing: frozenset[tuple[str, str | None, str]]  # (check, column, table), exactly these


def _null_target(train: pd.DataFrame, test: pd.DataFrame) -> Frames:
    test.loc[3, "species"] = None
    return train, test


def _leak(train: pd.DataFrame, test: pd.DataFrame) -> Frames:
    return train, pd.concat([test, train.head(1)], ignore_index=True)


def _move_to_train(train: pd.DataFrame, test: pd.DataFrame) -> Frames:
    moved = test.index[::2][:40]  # spread over the file, so every species stays in test
    return pd.concat([train, test.loc[moved]], ignore_index=True), test.drop(index=moved)


BREAKS = {
    "missing_target": Break(
        mutate=_null_target,
        check="expect_column_values_to_not_be_null",
        column="species",
        table="test",
        observed="1 of 86 values unexpected",
        failing=frozenset({("expect_column_values_to_not_be_null", "species", "test")}),
    ),
    "different_columns": Break(
        mutate=lambda train, test: (train, test.drop(columns=["sex"])),
        check="same_columns",
        column=None,
        table="train, test",
        observed="only in train: ['sex']",
        failing=frozenset(
            {("same_columns", None, "train, test")}
            | {("expect_table_columns_to_match_set", None, "test")}
        ),
    ),
    "penguin_in_both_sets": Break(
        mutate=_leak,
        check="no_shared_keys",
        column="penguin_id",
        table="test",
        observed="1 test rows also in train",
        failing=frozenset({("no_shared_keys", "penguin_id", "test")}),
    ),
    "wrong_proportions": Break(
        mutate=_move_to_train,
        check="split_share",
        column=None,
        table="train, test",
        observed="0.134 (46 test rows, 298 train rows)",
        failing=frozenset({("split_share", None, "train, test")}),
    ),
    "rows_lost": Break(
        mutate=lambda train, test: (train.iloc[3:], test),
        check="covers_labelled_raw",
        column="penguin_id",
        table="raw",
        observed="3 labelled raw rows in neither set",
        failing=frozenset({("covers_labelled_raw", "penguin_id", "raw")}),
    ),
}


# One break in the fast suite (`make test`), every break in `make test-all`: each is a
# validation run of its own.
ALL_BUT_ONE_SLOW = [
    pytest.param(name, marks=[pytest.mark.slow] if index else [])
    for index, name in enumerate(sorted(BREAKS))
]


@pytest.fixture(params=ALL_BUT_ONE_SLOW, scope="module")
def broken_run(request, prepared_dir, run_validation):
    case = BREAKS[request.param]
    train = validate_data.read_table(prepared_dir / "train.csv", "train")
    test = validate_data.read_table(prepared_dir / "test.csv", "test")
    broken_train, broken_test = case.mutate(train.copy(), test.copy())
    run = run_validation(train=broken_train, test=broken_test, suites=(SPLIT,))
    return case, train, test, run


def test_exactly_the_checks_for_the_break_fail(broken_run):
    case, _, _, run = broken_run

    failing = {
        (o["check"], o["column"], o["table"])
        for o in run.outcomes(SPLIT)
        if o["status"] != "passed"
    }
    assert run.code == 1
    assert failing == case.failing


def test_report_names_the_check_and_what_was_observed(broken_run):
    case, _, _, run = broken_run

    outcome = run.outcome(case.check, case.column, table=case.table)
    assert outcome["status"] == "failed"
    assert case.observed in outcome["observed"]
    assert f"{SPLIT} / {case.table}: {case.check}" in run.markdown


def test_offending_rows_point_at_their_lines(broken_run):
    case, train, test, run = broken_run
    lines = {
        "missing_target": [5],  # test.csv row 3
        "penguin_in_both_sets": [len(test) + 2],  # the row appended to test.csv
        # raw.csv lines of the three penguins dropped from train.csv (line = id + 1)
        "rows_lost": [int(i) + 1 for i in train["penguin_id"].head(3)],
    }
    case_name = next(name for name, known in BREAKS.items() if known is case)

    outcome = run.outcome(case.check, case.column, table=case.table)
    assert [row["line"] for row in outcome["sample_rows"]] == lines.get(case_name, [])


def test_split_share_follows_the_test_size_prepare_was_given(run_validation):
    run = run_validation(args=("--test-size", "0.4"), suites=(SPLIT,))

    outcome = run.outcome("split_share", None)
    assert run.code == 1
    assert outcome["status"] == "failed"
    assert "--test-size 0.4" in outcome["expected"]
