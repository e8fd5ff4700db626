"""The data schema and loader: typed columns, real missing values kept, errors that name the
column, the line and the rule."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.data import (
    ID_COLUMN,
    RAW_COLUMNS,
    SCHEMA,
    TARGET,
    SchemaError,
    load_dataset,
    read_features,
    split_features_target,
)
from {{ cookiecutter.package_name }}.features import (
    FEATURE_COLUMNS,
)


def raw_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def write_rows(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_bundled_data_loads_every_row_with_schema_dtypes(raw_data: Path) -> None:
    frame = load_dataset(raw_data)

    assert len(frame) == len(raw_rows(raw_data))
    assert list(frame.columns) == [column.name for column in RAW_COLUMNS]
    for column in RAW_COLUMNS:
        dtype = frame[column.name].dtype
        if column.kind == "integer":
            assert pd.api.types.is_integer_dtype(dtype), column.name
        elif column.kind == "number":
            assert pd.api.types.is_float_dtype(dtype), column.name
        else:
            assert pd.api.types.is_string_dtype(dtype), column.name


def test_bundled_data_keeps_its_real_missing_values(raw_data: Path) -> None:
    rows = raw_rows(raw_data)
    empty_in_file = {name: sum(row[name] == "" for row in rows) for name in SCHEMA}

    frame = load_dataset(raw_data)

    assert frame.isna().sum().to_dict() == empty_in_file
    assert empty_in_file["sex"] > 0  # the point of the test: the file does have gaps


def test_missing_column_is_named(raw_data: Path, tmp_path: Path) -> None:
    rows = [{k: v for k, v in row.items() if k != "bill_depth_mm"} for row in raw_rows(raw_data)]
    broken = write_rows(tmp_path / "penguins.csv", rows)

    with pytest.raises(
        SchemaError, match=r"penguins\.csv: missing required column 'bill_depth_mm'"
    ):
        load_dataset(broken)


@pytest.mark.parametrize(
    ("column", "value", "rule"),
    [
        ("body_mass_g", "heavy", "must be a number"),
        ("bill_depth_mm", "inf", "must be a finite number"),
        ("year", "2007.5", "must be a whole number"),
        (TARGET, "adelie", "must be one of Adelie, Chinstrap, Gentoo"),
        ("island", "", "must not be empty"),
        ("sex", "unknown", "must be one of female, male"),
    ],
)
def test_bad_value_is_reported_with_column_line_and_rule(
    raw_data: Path, tmp_path: Path, column: str, value: str, rule: str
) -> None:
    rows = raw_rows(raw_data)
    rows[3][column] = value  # data row 4 is line 5 of the file (after the header)
    broken = write_rows(tmp_path / "penguins.csv", rows)

    with pytest.raises(SchemaError) as raised:
        load_dataset(broken)

    message = str(raised.value)
    assert f"column '{column}' {rule}" in message
    assert "line 5" in message


def test_repeated_key_is_rejected(raw_data: Path, tmp_path: Path) -> None:
    rows = raw_rows(raw_data)
    rows[10][ID_COLUMN] = rows[2][ID_COLUMN]
    broken = write_rows(tmp_path / "penguins.csv", rows)

    with pytest.raises(SchemaError, match=rf"'{ID_COLUMN}' must be unique; {rows[2][ID_COLUMN]}"):
        load_dataset(broken)


def test_repeated_header_name_is_rejected(tmp_path: Path) -> None:
    header = ",".join(SCHEMA) + ",island"
    path = tmp_path / "penguins.csv"
    path.write_text(header + "\n1,Adelie,Dream,1,1,1,1,male,2007,Dream\n", encoding="utf-8")

    with pytest.raises(SchemaError, match="column names must be unique; 'island' repeats"):
        load_dataset(path)


def test_empty_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "penguins.csv"
    path.write_text("", encoding="utf-8")

    with pytest.raises(SchemaError, match="file is empty"):
        load_dataset(path)


def test_blank_cells_are_missing_values(raw_data: Path, tmp_path: Path) -> None:
    rows = raw_rows(raw_data)
    rows[0]["bill_length_mm"] = "   "
    rows[0]["sex"] = " "
    path = write_rows(tmp_path / "penguins.csv", rows)

    frame = load_dataset(path)

    assert frame.loc[0, ["bill_length_mm", "sex"]].isna().all()


def test_category_values_are_trimmed(raw_data: Path, tmp_path: Path) -> None:
    rows = raw_rows(raw_data)
    rows[0][TARGET] = "  Gentoo "
    path = write_rows(tmp_path / "penguins.csv", rows)

    assert load_dataset(path)[TARGET].iloc[0] == "Gentoo"


def test_byte_order_mark_from_spreadsheets_is_ignored(raw_data: Path, tmp_path: Path) -> None:
    path = tmp_path / "penguins.csv"
    path.write_bytes(b"\xef\xbb\xbf" + raw_data.read_bytes())

    assert load_dataset(path)[ID_COLUMN].tolist() == load_dataset(raw_data)[ID_COLUMN].tolist()


def test_read_features_allows_gaps_and_keeps_extra_columns(tmp_path: Path) -> None:
    path = tmp_path / "request.csv"
    path.write_text(
        "request_id," + ",".join(FEATURE_COLUMNS) + "\n"
        "r-1,39.1,18.7,181,3750,Torgersen,\n"
        "r-2,,,,,Atlantis,female\n",
        encoding="utf-8",
    )

    frame = read_features(path, FEATURE_COLUMNS)

    assert list(frame.columns) == ["request_id", *FEATURE_COLUMNS]
    assert frame["request_id"].tolist() == ["r-1", "r-2"]
    assert frame["bill_length_mm"].iloc[0] == pytest.approx(39.1)
    assert frame["bill_length_mm"].isna().iloc[1]
    assert frame["island"].iloc[1] == "Atlantis"  # unseen categories are the model's business


def test_read_features_names_the_missing_feature(tmp_path: Path) -> None:
    kept = [name for name in FEATURE_COLUMNS if name != "flipper_length_mm"]
    path = tmp_path / "request.csv"
    path.write_text(",".join(kept) + "\n" + ",".join("1" for _ in kept) + "\n", encoding="utf-8")

    with pytest.raises(SchemaError, match="missing required column 'flipper_length_mm'"):
        read_features(path, FEATURE_COLUMNS)


def test_split_features_target_refuses_missing_targets(raw_data: Path) -> None:
    frame = load_dataset(raw_data)
    frame.loc[0, TARGET] = None

    with pytest.raises(SchemaError, match=f"column '{TARGET}' has missing values"):
        split_features_target(frame, FEATURE_COLUMNS)


def test_data_dictionary_documents_every_schema_column(raw_data: Path) -> None:
    dictionary = (raw_data.parent.parent / "README.md").read_text(encoding="utf-8")

    undocumented = [name for name in SCHEMA if f"| `{name}` |" not in dictionary]

    assert undocumented == []
