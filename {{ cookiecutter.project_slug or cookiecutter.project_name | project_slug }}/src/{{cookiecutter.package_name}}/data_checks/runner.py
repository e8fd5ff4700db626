"""Run suites on tables with great-expectations and turn every verdict into an Outcome.

Importing this module is cheap: GX is imported only once ``run_suites`` runs. It runs in an
ephemeral context (no project files, no cloud), with analytics and progress bars off, so a run
in CI or in an AzureML job prints only our own lines.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from .model import (
    ERROR,
    FAILED,
    PASSED,
    DataCheckError,
    Outcome,
    RunOptions,
    SampleRow,
    Suite,
    Tables,
)
from .profile import drift_outcomes, load_profile, mean_shift_expectations

SAMPLE_ROWS = 5  # offending rows shown per failed check
# Kwargs that identify the domain or steer GX rather than state the rule.
_PLUMBING = {"batch_id", "column", "result_format", "catch_exceptions"}
_NUMERIC_TYPES = {"int8", "int16", "int32", "int64", "float32", "float64", "Int64", "Float64"}


def _gx_context() -> Any:
    """An ephemeral GX context that writes no files and shows no progress bars."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx  # heavy: only when suites run
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def _text(value: Any) -> str:
    """A cell or observed value as the report shows it; a missing value reads ``NA``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "NA"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_text(item) for item in value) + "]"
    return str(value)


def sample_rows(frame: pd.DataFrame, labels: Iterable[Any]) -> tuple[SampleRow, ...]:
    """The first few rows of ``frame`` with index ``labels``, with their CSV line numbers.

    Tables are read with a fresh RangeIndex, so label ``i`` is the data row on line ``i + 2``.
    """
    rows = []
    for label in list(labels)[:SAMPLE_ROWS]:
        if label not in frame.index:
            continue
        values = {str(column): _text(value) for column, value in frame.loc[label].items()}
        line = int(label) + 2 if isinstance(frame.index, pd.RangeIndex) else None
        rows.append(SampleRow(line=line, values=values))
    return tuple(rows)


def _numeric_type_failure(frame: pd.DataFrame, column: str, type_list: list) -> tuple[str, list]:
    """What a failed numeric type check observed, and the labels of the offending cells.

    Said the same way whatever pandas version read the file (GX reports an object column
    value by value, a typed column by its dtype): the dtype, then the cells that are not
    numbers, or not whole numbers when only integer types are allowed.
    """
    series = frame[column]
    numbers = pd.to_numeric(series, errors="coerce")
    whole_only = not any(name.lower().startswith("float") for name in type_list)
    kind = "whole numbers" if whole_only else "numbers"
    bad = series.notna() & numbers.isna()
    if whole_only:
        bad |= numbers.notna() & (numbers % 1 != 0)
    labels = list(series.index[bad])
    observed = f"column read as {series.dtype}"
    if labels:
        examples = list(dict.fromkeys(_text(series[label]) for label in labels))
        observed += f"; {len(labels)} of {len(series)} values are not {kind}: e.g. "
        observed += ", ".join(examples[:SAMPLE_ROWS])
    return observed, labels


def _expected(kwargs: Mapping[str, Any]) -> str:
    parts = [f"{key}={_text(value)}" for key, value in kwargs.items() if key not in _PLUMBING]
    return ", ".join(parts) if parts else "(no parameters)"


def _observed(result: Mapping[str, Any]) -> str:
    if "unexpected_count" in result:
        count, total = result["unexpected_count"], result.get("element_count", 0)
        share = result.get("unexpected_percent") or 0.0
        # Distinct values of GX's partial sample (its counts cover only that sample).
        values = list(dict.fromkeys(_text(v) for v in result.get("partial_unexpected_list", [])))
        text = f"{count} of {total} values unexpected ({share:.2f}%)"
        if count and values:
            text += "; e.g. " + ", ".join(values[:SAMPLE_ROWS])
        return text
    observed = _text(result.get("observed_value"))
    mismatched = (result.get("details") or {}).get("mismatched")
    if mismatched:
        detail = "; ".join(f"{kind}: {_text(cols)}" for kind, cols in mismatched.items())
        observed = f"{observed} ({detail})"
    return observed


def _shift(meta: Mapping[str, Any], observed: Any) -> str:
    """For a drift check on the mean: how far it moved, in reference standard deviations."""
    mean, std = meta.get("reference_mean"), meta.get("reference_std")
    if mean is None or not std or not isinstance(observed, int | float):
        return ""
    return f" (reference mean {mean:g}; shift {(observed - mean) / std:+.2f} std)"


def _exception_message(info: Any) -> str | None:
    """The first error message in GX's exception info, which comes in a few shapes."""
    if isinstance(info, Mapping) and info.get("raised_exception"):
        return str(info.get("exception_message") or "unknown error")
    if isinstance(info, Mapping):
        for nested in info.values():
            message = getattr(nested, "exception_message", None)
            if message:
                return str(message)
            if isinstance(nested, Mapping) and nested.get("raised_exception"):
                return str(nested.get("exception_message"))
    return None


def _outcome(gx_result: Any, frame: pd.DataFrame, table: str) -> Outcome:
    config = gx_result.expectation_config
    kwargs = dict(config.kwargs)
    column = kwargs.get("column")
    result = gx_result.result or {}
    error = _exception_message(gx_result.exception_info)
    if error is not None:
        if column is not None and column not in frame.columns:
            error = f"column {column!r} is missing, so this check could not run"
        status, observed, rows = ERROR, error.splitlines()[0], ()
    else:
        status = PASSED if gx_result.success else FAILED
        observed = _observed(result) + _shift(config.meta or {}, result.get("observed_value"))
        labels = result.get("partial_unexpected_index_list") or []
        type_list = list(kwargs.get("type_list") or [])
        if status == FAILED and column in frame.columns and set(type_list) & _NUMERIC_TYPES:
            observed, labels = _numeric_type_failure(frame, column, type_list)
        rows = sample_rows(frame, labels) if status == FAILED else ()
    return Outcome(
        table=table,
        check=config.type,
        column=column,
        status=status,
        expected=_expected(kwargs),
        observed=observed,
        description=config.description or "",
        sample_rows=rows,
    )


def _validate(context: Any, suite: Suite, table: str, frame: pd.DataFrame, extra: list) -> list:
    import great_expectations as gx  # heavy: only when suites run

    asset = context.data_sources.add_pandas(f"{suite.name}--{table}").add_dataframe_asset(table)
    batch = asset.add_batch_definition_whole_dataframe("whole").get_batch(
        batch_parameters={"dataframe": frame}
    )
    gx_suite = gx.ExpectationSuite(name=f"{suite.name}--{table}")
    for order, expectation in enumerate([*suite.expectations(), *extra]):
        expectation.meta = {**(expectation.meta or {}), "order": order}
        gx_suite.add_expectation(expectation)
    result_format = {"result_format": "SUMMARY", "partial_unexpected_count": 20}
    validation = batch.validate(gx_suite, result_format=result_format)
    # GX does not keep the suite's order; the report does, so related checks stay together.
    return sorted(validation.results, key=lambda r: r.expectation_config.meta.get("order", 0))


# Where each built-in table comes from, for the message when one is missing.
_TABLE_FLAGS = {"raw": "--raw-data", "train": "--prepared-dir", "test": "--prepared-dir"}


def check_inputs(suites: Iterable[Suite], tables: Tables) -> None:
    """DataCheckError unless every table a suite reads was given; it names the flag to use."""
    for suite in suites:
        absent = [t for t in (*suite.tables, *suite.also_reads) if t not in tables]
        if absent:
            flags = sorted({_TABLE_FLAGS.get(t, "--data NAME=FILE") for t in absent})
            raise DataCheckError(
                f"suite {suite.name!r} needs table(s) {', '.join(absent)}: "
                f"pass {' and '.join(flags)} (or leave the suite out with --suite)"
            )


def run_suites(
    suites: list[Suite], tables: Tables, *, reference_dir: Path, options: RunOptions
) -> list[Outcome]:
    """Every outcome of every suite on its tables, suite by suite, in the order given.

    Raises DataCheckError before validating anything when an input or a reference profile is
    missing, so a run either checks everything or reports nothing.
    """
    check_inputs(suites, tables)
    profiles = {s.name: load_profile(reference_dir, s) for s in suites if s.drift is not None}
    context = _gx_context()
    outcomes: list[Outcome] = []
    for suite in suites:
        found: list[Outcome] = []
        for table in suite.tables:
            frame = tables[table]
            extra: list = []
            stored = profiles[suite.name]["tables"][table] if suite.drift else None
            if suite.drift and stored:
                extra = mean_shift_expectations(stored, suite.drift)
            for gx_result in _validate(context, suite, table, frame, extra):
                found.append(_outcome(gx_result, frame, table))
            if suite.drift and stored:
                found.extend(drift_outcomes(frame, table, stored, suite.drift))
        found.extend(suite.own_checks(tables, options))
        outcomes.extend(replace(outcome, suite=suite.name) for outcome in found)
    return outcomes
