"""The model's input columns and the preprocessing that turns them into numbers.

The feature lists are defined here once; training, scoring, the MLflow signature and the
tests all read them from here. Their names and types come from the schema in ``data.py``.
"""

from __future__ import annotations

from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from .data import SCHEMA

NUMERIC_FEATURES: tuple[str, ...] = (
    "bill_length_mm",
    "bill_depth_mm",
    "flipper_length_mm",
    "body_mass_g",
)
CATEGORICAL_FEATURES: tuple[str, ...] = ("island", "sex")
FEATURE_COLUMNS: tuple[str, ...] = NUMERIC_FEATURES + CATEGORICAL_FEATURES

# Fail at import, not mid-training, when a feature is renamed in one place only.
_unknown = [name for name in FEATURE_COLUMNS if name not in SCHEMA]
if _unknown:
    raise ImportError(f"features not in the data schema: {_unknown}")


def build_preprocessor() -> ColumnTransformer:
    """A ColumnTransformer that outputs one dense, finite number per feature slot.

    Numbers: missing values take the training median, then are standardized. Categories:
    missing values take the most frequent training value, then are one-hot encoded; a
    category never seen in training encodes as all zeros instead of failing the request.
    Columns not listed in FEATURE_COLUMNS (keys, the target, ``year``) are dropped.
    """
    numeric = Pipeline(
        [
            ("impute", SimpleImputer(strategy="median")),
            ("scale", StandardScaler()),
        ]
    )
    categorical = Pipeline(
        [
            ("impute", SimpleImputer(strategy="most_frequent")),
            ("one_hot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
        ]
    )
    return ColumnTransformer(
        [
            ("numeric", numeric, list(NUMERIC_FEATURES)),
            ("categorical", categorical, list(CATEGORICAL_FEATURES)),
        ],
        remainder="drop",
    )
