"""Suite ``penguins_split``: the prepared train and test sets that prepare wrote.

Per table (GX expectations): the schema's columns, typed; a target in every row, from the
known classes, every class present (the split is stratified); unique keys. Across tables
(our own checks, as GX has no expectation spanning two tables): both sets have the same
columns, the test set holds the share of rows that was asked for, no penguin is in both sets,
and every labelled raw row landed in exactly one of them.
"""

from __future__ import annotations

from {{ cookiecutter.package_name }}.data import CLASSES, ID_COLUMN, RAW_COLUMNS, TARGET
from {{ cookiecutter.package_name }}.data_checks.model import (
    FAILED,
    PASSED,
    Outcome,
    RunOptions,
    Suite,
    Tables,
)
from {{ cookiecutter.package_name }}.data_checks.runner import sample_rows

DTYPES = {
    "integer": ["int64", "Int64"],
    "number": ["int64", "float64", "Int64", "Float64"],
}


def expectations() -> list:
    """Expectations each of train.csv and test.csv must meet."""
    import great_expectations.expectations as gxe  # heavy: only when the suite runs

    rules: list = [
        gxe.ExpectTableColumnsToMatchSet(
            column_set=[column.name for column in RAW_COLUMNS],
            exact_match=True,
            description="Schema: prepare keeps exactly the schema's columns.",
        ),
        gxe.ExpectTableRowCountToBeBetween(
            min_value=len(CLASSES), description="Row count: room for every class at least."
        ),
    ]
    for column in RAW_COLUMNS:
        if column.kind != "category":
            rules.append(
                gxe.ExpectColumnValuesToBeInTypeList(
                    column=column.name,
                    type_list=DTYPES[column.kind],
                    description="Schema: prepare fixed the types.",
                )
            )
    rules += [
        gxe.ExpectColumnValuesToNotBeNull(
            column=TARGET, description="Target: prepare drops every row without one."
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column=TARGET, value_set=list(CLASSES), description="Target: a known class."
        ),
        gxe.ExpectColumnDistinctValuesToContainSet(
            column=TARGET,
            value_set=list(CLASSES),
            description="Target: the stratified split leaves every class in both sets.",
        ),
        gxe.ExpectColumnValuesToNotBeNull(column=ID_COLUMN, description="Keys: never empty."),
        gxe.ExpectColumnValuesToBeUnique(column=ID_COLUMN, description="Keys: one row each."),
    ]
    return rules


def _verdict(ok: bool) -> str:
    return PASSED if ok else FAILED


def same_columns(tables: Tables) -> Outcome:
    train, test = list(tables["train"].columns), list(tables["test"].columns)
    only_train = [c for c in train if c not in test]
    only_test = [c for c in test if c not in train]
    return Outcome(
        table="train, test",
        check="same_columns",
        column=None,
        status=_verdict(not only_train and not only_test),
        expected="train.csv and test.csv have the same columns",
        observed=f"only in train: {only_train or 'none'}; only in test: {only_test or 'none'}",
        description="A model scored on columns it was not trained on fails late and quietly.",
    )


def split_share(tables: Tables, options: RunOptions) -> Outcome:
    n_train, n_test = len(tables["train"]), len(tables["test"])
    share = n_test / (n_train + n_test) if n_train + n_test else 0.0
    low = options.test_size - options.split_tolerance
    high = options.test_size + options.split_tolerance
    return Outcome(
        table="train, test",
        check="split_share",
        column=None,
        status=_verdict(low <= share <= high),
        expected=f"test share between {low:.2f} and {high:.2f} (--test-size {options.test_size:g})",
        observed=f"{share:.3f} ({n_test} test rows, {n_train} train rows)",
        description="The split's proportions are the ones prepare was asked for.",
    )


def no_shared_keys(tables: Tables) -> Outcome:
    train, test = tables["train"], tables["test"]
    shared = test.index[:0]
    if ID_COLUMN in train.columns and ID_COLUMN in test.columns:
        shared = test.index[test[ID_COLUMN].isin(train[ID_COLUMN].dropna())]
        status, observed = _verdict(shared.empty), f"{len(shared)} test rows also in train"
    else:
        status, observed = FAILED, f"column {ID_COLUMN!r} is missing (see the schema checks)"
    return Outcome(
        table="test",
        check="no_shared_keys",
        column=ID_COLUMN,
        status=status,
        expected=f"no {ID_COLUMN} in both train.csv and test.csv",
        observed=observed,
        description="Leakage: a penguin in both sets makes the test score look better than it is.",
        sample_rows=sample_rows(test, shared),
    )


def covers_labelled_raw(tables: Tables) -> Outcome:
    raw, train, test = tables["raw"], tables["train"], tables["test"]
    lost = raw.index[:0]
    if all(c in frame.columns for frame in (raw, train, test) for c in (ID_COLUMN, TARGET)):
        labelled = raw[raw[TARGET].notna()]
        split_ids = set(train[ID_COLUMN].dropna()) | set(test[ID_COLUMN].dropna())
        lost = labelled.index[~labelled[ID_COLUMN].isin(split_ids)]
        invented = sorted(split_ids - set(labelled[ID_COLUMN].dropna()))
        status = _verdict(lost.empty and not invented)
        observed = (
            f"{len(lost)} labelled raw rows in neither set; {len(invented)} rows in the sets "
            f"that are not labelled raw rows (ids: {invented[:5] or 'none'})"
        )
    else:
        status, observed = FAILED, f"column {ID_COLUMN!r} or {TARGET!r} is missing"
    return Outcome(
        table="raw",
        check="covers_labelled_raw",
        column=ID_COLUMN,
        status=status,
        expected="every raw row with a target is in exactly one of train.csv and test.csv",
        observed=observed,
        description="Completeness: prepare lost no labelled row and invented none.",
        sample_rows=sample_rows(raw, lost),
    )


def own_checks(tables: Tables, options: RunOptions) -> list[Outcome]:
    """The checks across the two sets (and the raw file they came from)."""
    return [
        same_columns(tables),
        split_share(tables, options),
        no_shared_keys(tables),
        covers_labelled_raw(tables),
    ]


SUITE = Suite(
    name="penguins_split",
    description="The prepared sets (--prepared-dir: train.csv, test.csv) and how they split.",
    tables=("train", "test"),
    expectations=expectations,
    own_checks=own_checks,
    also_reads=("raw",),
)
