"""The schema of the penguin data and the only code that reads it from CSV.

Column names, types, nullability and allowed categories are written here once; every step,
the data checks and the tests import them from here. ``data/README.md`` is the human-readable
data dictionary of the same columns.

Two levels of checking, both ending in a SchemaError whose message names the column:

- ``load_dataset`` (raw or prepared data): every schema column present, every value of the
  right type, no missing value where the schema forbids one, categories from the known set,
  unique keys. Training on a typo such as ``adelie`` would silently create a fourth class.
- ``read_features`` (scoring requests): the model's feature columns present and of the right
  type. Missing values and unseen categories are allowed: the model imputes and ignores them.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from .cli import StepError

ColumnKind = Literal["integer", "number", "category"]


@dataclass(frozen=True)
class Column:
    """One column of the raw data: its name, kind, whether it may be empty, allowed values."""

    name: str
    kind: ColumnKind
    nullable: bool
    categories: tuple[str, ...] = ()


ID_COLUMN = "penguin_id"
TARGET = "species"

RAW_COLUMNS: tuple[Column, ...] = (
    Column(ID_COLUMN, "integer", nullable=False),
    # Nullable in the raw file: prepare drops rows without a target rather than failing.
    Column(TARGET, "category", nullable=True, categories=("Adelie", "Chinstrap", "Gentoo")),
    Column("island", "category", nullable=False, categories=("Biscoe", "Dream", "Torgersen")),
    Column("bill_length_mm", "number", nullable=True),
    Column("bill_depth_mm", "number", nullable=True),
    Column("flipper_length_mm", "number", nullable=True),
    Column("body_mass_g", "number", nullable=True),
    Column("sex", "category", nullable=True, categories=("female", "male")),
    Column("year", "integer", nullable=False),
)
SCHEMA: dict[str, Column] = {column.name: column for column in RAW_COLUMNS}
CLASSES: tuple[str, ...] = SCHEMA[TARGET].categories

# UTF-8, ignoring the byte-order mark spreadsheet programs put in front of the header.
CSV_ENCODING = "utf-8-sig"


class SchemaError(StepError):
    """Data that breaks the schema; the message names the file, the column and the rule."""


def load_dataset(path: Path) -> pd.DataFrame:
    """Read raw or prepared penguin data and return it typed, in schema column order.

    Guarantees on return: every schema column is present with its schema dtype (integers as
    int64, numbers as float64, categories as strings with NaN for missing), non-nullable
    columns have no missing value, categories are from the allowed set, ``penguin_id`` is
    unique. Extra columns are dropped. Anything else raises SchemaError.
    """
    frame = _read_csv_as_text(path)
    _require_columns(frame, SCHEMA, path)
    typed = _coerce(frame, RAW_COLUMNS, path)
    for column in RAW_COLUMNS:
        _check_nulls(typed, column, path)
        _check_categories(typed, column, path)
    duplicated = typed[ID_COLUMN].duplicated()
    if duplicated.any():
        first = typed.loc[duplicated, ID_COLUMN].iloc[0]
        raise SchemaError(f"{path.name}: column '{ID_COLUMN}' must be unique; {first} repeats")
    return typed


def read_features(path: Path, feature_columns: Iterable[str]) -> pd.DataFrame:
    """Read a scoring request: the given feature columns must be present and correctly typed.

    Returns every column of the file, in file order, with the feature columns converted to
    their schema dtype; other columns (e.g. a caller's own key) are passed through as text.
    Missing values and unseen categories are allowed: the model imputes or ignores them.
    """
    names = list(feature_columns)
    unknown = [name for name in names if name not in SCHEMA]
    if unknown:
        raise SchemaError(f"the model expects column {unknown[0]!r}, which the schema lacks")
    columns = [SCHEMA[name] for name in names]
    frame = _read_csv_as_text(path)
    _require_columns(frame, {column.name: column for column in columns}, path)
    if frame.empty:
        raise SchemaError(f"{path.name}: has a header but no rows to score")
    typed = _coerce(frame, columns, path)
    passthrough = [name for name in frame.columns if name not in typed.columns]
    return pd.concat([typed, frame[passthrough]], axis=1)[list(frame.columns)]


def split_features_target(
    frame: pd.DataFrame, feature_columns: Iterable[str]
) -> tuple[pd.DataFrame, pd.Series]:
    """The feature columns and the target of a loaded dataset; the target must be complete."""
    if frame[TARGET].isna().any():
        raise SchemaError(f"column '{TARGET}' has missing values; run prepare to drop those rows")
    return frame[list(feature_columns)], frame[TARGET]


def _read_csv_as_text(path: Path) -> pd.DataFrame:
    """Every cell as text (NaN when empty), so the type checks below can name a bad value."""
    try:
        frame = pd.read_csv(
            path, dtype=str, keep_default_na=False, na_values=[""], encoding=CSV_ENCODING
        )
    except pd.errors.EmptyDataError:
        raise SchemaError(f"{path.name}: file is empty, expected a CSV header") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SchemaError(f"{path.name}: not a readable CSV file ({reason})") from None
    header = _header(path)
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise SchemaError(f"{path.name}: column names must be unique; {repeated[0]!r} repeats")
    return frame


def _header(path: Path) -> list[str]:
    """The header names exactly as written (pandas silently renames a repeated name)."""
    with path.open(newline="", encoding=CSV_ENCODING) as handle:
        return next(csv.reader(handle), [])


def _require_columns(frame: pd.DataFrame, required: dict[str, Column], path: Path) -> None:
    missing = [name for name in required if name not in frame.columns]
    if missing:
        names = ", ".join(f"'{name}'" for name in missing)
        noun = "column" if len(missing) == 1 else "columns"
        raise SchemaError(f"{path.name}: missing required {noun} {names}")


def _coerce(frame: pd.DataFrame, columns: Iterable[Column], path: Path) -> pd.DataFrame:
    """The given columns of a text frame, converted to their schema dtypes."""
    typed = {column.name: _coerce_column(frame[column.name], column, path) for column in columns}
    return pd.DataFrame(typed, index=frame.index)


def _coerce_column(text: pd.Series, column: Column, path: Path) -> pd.Series:
    stripped = text.str.strip()
    stripped = stripped.mask(stripped == "")  # a blank cell is a missing value
    if column.kind == "category":
        return stripped
    numbers = pd.to_numeric(stripped, errors="coerce")
    not_numbers = stripped.notna() & numbers.isna()
    if not_numbers.any():
        _fail_at(text, not_numbers, path, column.name, "must be a number")
    # "inf" parses as a number, but no measurement is infinite and the scaler would fail.
    not_finite = numbers.notna() & ~np.isfinite(numbers.astype("float64"))
    if not_finite.any():
        _fail_at(text, not_finite, path, column.name, "must be a finite number")
    if column.kind == "number":
        return numbers.astype("float64")
    not_whole = numbers.notna() & (np.floor(numbers) != numbers)
    if not_whole.any():
        _fail_at(text, not_whole, path, column.name, "must be a whole number")
    if numbers.isna().any():
        return numbers.astype("Int64")
    return numbers.astype("int64")


def _check_nulls(frame: pd.DataFrame, column: Column, path: Path) -> None:
    if column.nullable:
        return
    missing = frame[column.name].isna()
    if missing.any():
        _fail_at(frame[column.name], missing, path, column.name, "must not be empty")


def _check_categories(frame: pd.DataFrame, column: Column, path: Path) -> None:
    if not column.categories:
        return
    values = frame[column.name]
    unknown = values.notna() & ~values.isin(column.categories)
    if unknown.any():
        allowed = ", ".join(column.categories)
        _fail_at(values, unknown, path, column.name, f"must be one of {allowed}")


def _fail_at(values: pd.Series, bad: pd.Series, path: Path, name: str, rule: str) -> None:
    """Raise SchemaError for the first bad value, with its line number in the file."""
    position = int(np.flatnonzero(bad.to_numpy())[0])
    line = position + 2  # one header line, and file lines count from 1
    value = values.iloc[position]
    shown = "an empty value" if pd.isna(value) else repr(value)
    count = int(bad.sum())
    more = f" ({count - 1} more rows like it)" if count > 1 else ""
    raise SchemaError(f"{path.name}: column '{name}' {rule}; line {line} has {shown}{more}")
