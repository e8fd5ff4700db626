"""A JSON scoring request, checked against the data schema before the model sees it.

Accepted bodies (the first is what AzureML's own MLflow tooling sends):

    {"input_data": {"columns": ["island", ...], "data": [["Biscoe", 46.1, ...], ...]}}
    {"input_data": [{"island": "Biscoe", "bill_length_mm": 46.1, ...}, ...]}

Every feature column of the model must be present (names and kinds come from ``data.SCHEMA``
and ``features.FEATURE_COLUMNS``, never repeated here); numbers must be JSON numbers,
categories strings; null is allowed (the model imputes it). Other columns are ignored.
A bad request raises RequestError whose one-line message names the field, row and rule.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd

from ..data import SCHEMA
from ..features import FEATURE_COLUMNS

MAX_ROWS = 10_000  # larger jobs belong to batch scoring, not to one HTTP request


class RequestError(ValueError):
    """The request breaks the contract; the message says where and how."""


def parse_request(payload: str | bytes | dict[str, Any]) -> pd.DataFrame:
    """The request's rows as a frame of the model's feature columns, typed per the schema."""
    body = _decode(payload)
    if not isinstance(body, dict) or "input_data" not in body:
        raise RequestError("request must be a JSON object with an 'input_data' field")
    rows = _rows(body["input_data"])
    if not rows:
        raise RequestError("input_data has no rows to score")
    if len(rows) > MAX_ROWS:
        raise RequestError(f"input_data has {len(rows)} rows; at most {MAX_ROWS} per request")
    missing = [name for name in FEATURE_COLUMNS if name not in rows[0]]
    if missing:
        raise RequestError(f"input_data: missing required column '{missing[0]}'")
    columns = {
        name: [_value(row, name, index) for index, row in enumerate(rows)]
        for name in FEATURE_COLUMNS
    }
    frame = pd.DataFrame(columns)
    for name in FEATURE_COLUMNS:
        if SCHEMA[name].kind == "category":
            frame[name] = frame[name].astype(object)
        else:
            frame[name] = pd.to_numeric(frame[name]).astype("float64")
    return frame


def _decode(payload: str | bytes | dict[str, Any]) -> Any:
    if isinstance(payload, dict):
        return payload
    try:
        return json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RequestError(f"request is not valid JSON ({error})") from None


def _rows(data: Any) -> list[dict[str, Any]]:
    """Rows as dicts, from the split ('columns' + 'data') or the records form."""
    if isinstance(data, list):
        for index, row in enumerate(data):
            if not isinstance(row, dict):
                raise RequestError(f"input_data[{index}] must be an object of column: value")
        return data
    if not isinstance(data, dict) or not isinstance(data.get("columns"), list):
        raise RequestError("input_data must be a list of rows or have 'columns' and 'data'")
    columns, values = data["columns"], data.get("data")
    if not isinstance(values, list):
        raise RequestError("input_data.data must be a list of rows")
    rows = []
    for index, row in enumerate(values):
        if not isinstance(row, list) or len(row) != len(columns):
            raise RequestError(
                f"input_data.data[{index}] must be a list of {len(columns)} values, one per column"
            )
        rows.append(dict(zip(columns, row, strict=True)))
    return rows


def _value(row: dict[str, Any], name: str, index: int) -> Any:
    """One cell, checked against its schema kind (None stays None)."""
    if name not in row:
        raise RequestError(f"input_data row {index}: missing column '{name}'")
    value = row[name]
    if value is None:
        return None
    kind = SCHEMA[name].kind
    if kind == "category":
        if not isinstance(value, str):
            raise RequestError(f"column '{name}' must be text; row {index} has {value!r}")
        return value.strip() or None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RequestError(f"column '{name}' must be a number; row {index} has {value!r}")
    if kind == "integer" and value != int(value):
        raise RequestError(f"column '{name}' must be a whole number; row {index} has {value!r}")
    return value
