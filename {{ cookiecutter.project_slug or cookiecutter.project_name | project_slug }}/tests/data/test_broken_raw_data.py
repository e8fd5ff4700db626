"""Each kind of expectation catches a broken copy of the bundled raw data, and the report
names the column, the expectation, the observed value and the offending rows' lines.

Each case also pins the exact set of raw checks that fail, so a rule that is too loose (the
break goes unnoticed) or too tight (unrelated checks fire) fails its test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import pytest

from {{ cookiecutter.package_name }} import validate_data

BETWEEN = "expect_column_values_to_be_between"
IN_SET = "expect_column_values_to_be_in_set"
MEAN = "expect_column_mean_to_be_between"
NOT_NULL = "expect_column_values_to_not_be_null"
OF_TYPE = "expect_column_values_to_be_of_type"
PSI = "population_stability_index"
ROW_COUNT = "expect_table_row_count_to_be_between"
SCHEMA = "expect_table_columns_to_match_set"
TYPE_LIST = "expect_column_values_to_be_in_type_list"
UNIQUE = "expect_column_values_to_be_unique"


@dataclass(frozen=True)
class Break:
    """A way to break the raw data, and what the report must then say."""

    mutate: Callable[[pd.DataFrame], pd.DataFrame]
    check: str  # the check that must catch it
    column: str | None
    observed: str  # a piece of the observed value the report must show
    lines: tuple[int, ...]  # CSV lines of the offending rows the report must show
    failing: frozenset[tuple[str, str | None]]  # every failing raw check, no more, no less


def _set(frame: pd.DataFrame, rows: list[int], column: str, value) -> pd.DataFrame:
    # pandas refuses a value its column's dtype cannot hold: widen the column first.
    if isinstance(value, str):
        frame = frame.astype({column: object})
    elif isinstance(value, float):
        frame = frame.astype({column: "float64"})
    frame.loc[rows, column] = value
    return frame


def _move_island(frame: pd.DataFrame) -> pd.DataFrame:
    biscoe = frame.index[frame["island"] == "Biscoe"][:70]
    frame.loc[biscoe, "island"] = "Dream"
    return frame


BREAKS = {
    "column_removed": Break(
        mutate=lambda f: f.drop(columns=["island"]),
        check=SCHEMA,
        column=None,
        observed="missing: [island]",
        lines=(),
        failing=frozenset(
            {(SCHEMA, None), (OF_TYPE, "island"), (IN_SET, "island"), (NOT_NULL, "island")}
            | {(PSI, "island")}
        ),
    ),
    "nulls_injected_into_never_null_column": Break(
        mutate=lambda f: _set(f, [10, 20], "species", None),
        check=NOT_NULL,
        column="species",
        observed="2 of 344 values unexpected",
        lines=(12, 22),
        failing=frozenset({(NOT_NULL, "species")}),
    ),
    "too_many_nulls_in_nullable_column": Break(
        mutate=lambda f: _set(f, list(range(0, 344, 8)), "bill_length_mm", None),
        check=NOT_NULL,
        column="bill_length_mm",
        observed="45 of 344 values unexpected",  # 43 injected, 2 missing in the bundled file
        lines=(2, 5, 10, 18, 26),
        failing=frozenset({(NOT_NULL, "bill_length_mm")}),
    ),
    "value_out_of_range": Break(
        mutate=lambda f: _set(f, [5], "flipper_length_mm", 250.0),
        check=BETWEEN,
        column="flipper_length_mm",
        observed="e.g. 250",
        lines=(7,),
        failing=frozenset({(BETWEEN, "flipper_length_mm")}),
    ),
    "unknown_category": Break(
        mutate=lambda f: _set(f, [7], "island", "Atlantis"),
        check=IN_SET,
        column="island",
        observed="Atlantis",
        lines=(9,),
        failing=frozenset({(IN_SET, "island")}),
    ),
    "text_in_numeric_column": Break(
        mutate=lambda f: _set(f, [8], "body_mass_g", "heavy"),
        check=TYPE_LIST,
        column="body_mass_g",
        observed="1 of 344 values are not numbers: e.g. heavy",
        lines=(10,),
        # Range and mean cannot be computed on text: reported as errors, not passes.
        failing=frozenset(
            {(TYPE_LIST, "body_mass_g"), (BETWEEN, "body_mass_g"), (MEAN, "body_mass_g")}
        ),
    ),
    "fraction_in_integer_column": Break(
        mutate=lambda f: _set(f, [4], "penguin_id", 4.5),
        check=TYPE_LIST,
        column="penguin_id",
        observed="1 of 344 values are not whole numbers: e.g. 4.5",
        lines=(6,),
        failing=frozenset({(TYPE_LIST, "penguin_id")}),
    ),
    "duplicated_key": Break(
        mutate=lambda f: _set(f, [11], "penguin_id", 11),
        check=UNIQUE,
        column="penguin_id",
        observed="2 of 344 values unexpected (0.58%); e.g. 11",
        lines=(12, 13),
        failing=frozenset({(UNIQUE, "penguin_id")}),
    ),
    "too_few_rows": Break(
        mutate=lambda f: f.sample(200, random_state=7).sort_index().reset_index(drop=True),
        check=ROW_COUNT,
        column=None,
        observed="200",
        lines=(),
        failing=frozenset({(ROW_COUNT, None)}),
    ),
    "shifted_numeric_distribution": Break(
        mutate=lambda f: f.assign(bill_depth_mm=f["bill_depth_mm"] + 1.0),
        check=MEAN,
        column="bill_depth_mm",
        observed="shift +0.51 std",
        lines=(),
        failing=frozenset({(MEAN, "bill_depth_mm"), (PSI, "bill_depth_mm")}),
    ),
    "shifted_category_shares": Break(
        mutate=_move_island,
        check=PSI,
        column="island",
        observed="Biscoe: 48.8% -> 28.5%",
        lines=(),
        failing=frozenset({(PSI, "island")}),
    ),
}


# One break in the fast suite (`make test`), every break in `make test-all`: each is a
# validation run of its own.
ALL_BUT_ONE_SLOW = [
    pytest.param(name, marks=[pytest.mark.slow] if index else [])
    for index, name in enumerate(sorted(BREAKS))
]


@pytest.fixture(params=ALL_BUT_ONE_SLOW, scope="module")
def broken_run(request, raw_file, run_validation):
    """One validation per kind of break, shared by the tests below."""
    case = BREAKS[request.param]
    raw = validate_data.read_table(raw_file, "--raw-data")
    return case, run_validation(raw=case.mutate(raw), suites=("penguins_raw",))


def test_broken_raw_data_fails_the_run(broken_run):
    case, run = broken_run

    assert run.code == 1
    assert run.report["success"] is False
    assert "FAILED" in run.stderr


def test_exactly_the_checks_for_the_break_fail(broken_run):
    case, run = broken_run

    failing = {
        (o["check"], o["column"]) for o in run.outcomes("penguins_raw") if o["status"] != "passed"
    }
    assert failing == case.failing


def test_report_json_names_column_check_observed_value_and_rows(broken_run):
    case, run = broken_run

    outcome = run.outcome(case.check, case.column, table="raw")
    assert outcome["status"] == "failed"
    assert case.observed in outcome["observed"]
    assert tuple(row["line"] for row in outcome["sample_rows"]) == case.lines


def test_markdown_and_html_reports_explain_the_failure(broken_run):
    case, run = broken_run

    on_column = f" on column {case.column}" if case.column else ""
    title = f"penguins_raw / raw: {case.check}{on_column}"
    failures = run.markdown.split("## Failures", 1)[1]
    assert title in failures
    assert case.observed.replace(">", "&gt;") in failures
    for line in case.lines:
        assert f"\n| {line} | " in failures
        assert f"<td>{line}</td>" in run.html
    assert f"<h3>{title}</h3>" in run.html


def test_console_names_the_failed_check_and_column(broken_run):
    case, run = broken_run

    column = f" [{case.column}]" if case.column else ""
    assert f"penguins_raw/raw {case.check}{column}: " in run.stdout
