"""The feature preprocessing: which columns feed the model, output shape, and imputation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.data import (
    ID_COLUMN,
    SCHEMA,
    TARGET,
    load_dataset,
)
from {{ cookiecutter.package_name }}.features import (
    CATEGORICAL_FEATURES,
    FEATURE_COLUMNS,
    NUMERIC_FEATURES,
    build_preprocessor,
)


@pytest.fixture
def penguins(raw_data: Path) -> pd.DataFrame:
    return load_dataset(raw_data)


def test_features_come_from_the_schema_with_matching_kinds() -> None:
    assert all(SCHEMA[name].kind == "number" for name in NUMERIC_FEATURES)
    assert all(SCHEMA[name].kind == "category" for name in CATEGORICAL_FEATURES)


def test_key_and_target_never_feed_the_model() -> None:
    assert ID_COLUMN not in FEATURE_COLUMNS
    assert TARGET not in FEATURE_COLUMNS


def test_output_has_one_column_per_number_and_per_seen_category(penguins: pd.DataFrame) -> None:
    expected_width = len(NUMERIC_FEATURES) + sum(
        penguins[name].nunique(dropna=True) for name in CATEGORICAL_FEATURES
    )

    encoded = build_preprocessor().fit_transform(penguins)

    assert encoded.shape == (len(penguins), expected_width)


def test_output_is_finite_although_the_input_has_gaps(penguins: pd.DataFrame) -> None:
    assert penguins[list(FEATURE_COLUMNS)].isna().any().any()

    encoded = build_preprocessor().fit_transform(penguins)

    assert np.isfinite(encoded).all()


def test_missing_number_becomes_the_scaled_training_median(penguins: pd.DataFrame) -> None:
    preprocessor = build_preprocessor().fit(penguins)
    gap = penguins.head(1).copy()
    gap.loc[:, list(NUMERIC_FEATURES)] = np.nan

    encoded = preprocessor.transform(gap)[0, : len(NUMERIC_FEATURES)]

    for position, name in enumerate(NUMERIC_FEATURES):
        column = penguins[name]
        imputed = column.fillna(column.median())
        expected = (column.median() - imputed.mean()) / imputed.std(ddof=0)
        assert encoded[position] == pytest.approx(expected), name


def test_missing_category_becomes_the_most_frequent_one(penguins: pd.DataFrame) -> None:
    preprocessor = build_preprocessor().fit(penguins)
    most_frequent = penguins.loc[penguins[TARGET].notna()].head(1).copy()
    most_frequent["sex"] = penguins["sex"].mode().iloc[0]
    gap = most_frequent.copy()
    gap["sex"] = np.nan

    assert preprocessor.transform(gap) == pytest.approx(preprocessor.transform(most_frequent))


def test_unseen_category_encodes_as_all_zeros_instead_of_failing(penguins: pd.DataFrame) -> None:
    preprocessor = build_preprocessor().fit(penguins)
    visitor = penguins.head(1).copy()
    visitor["island"] = "Anvers"
    names = list(preprocessor.get_feature_names_out())
    island_slots = [i for i, name in enumerate(names) if name.startswith("categorical__island_")]

    encoded = preprocessor.transform(visitor)

    assert island_slots
    assert encoded[0, island_slots].tolist() == [0.0] * len(island_slots)
