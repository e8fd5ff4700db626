"""Suite ``penguins_raw``: what the raw penguin file must look like before anything uses it.

Column names, kinds and allowed categories come from the project's schema (``data.py``), so a
schema change is made in one place. What the schema does not say lives here: plausible
ranges, how many missing values are tolerable, how many rows to expect, and how far the
distributions may drift from the reference profile (``data/reference/penguins_raw.json``).
"""

from __future__ import annotations

from {{ cookiecutter.package_name }}.data import ID_COLUMN, RAW_COLUMNS, TARGET
from {{ cookiecutter.package_name }}.data_checks.model import DriftRules, Suite

# Physically plausible values, wider than the bundled data's observed ranges (data/README.md):
# a value outside is a unit mix-up or a typo, not an unusual bird.
RANGES: dict[str, tuple[float, float]] = {
    "bill_length_mm": (25, 70),
    "bill_depth_mm": (10, 25),
    "flipper_length_mm": (160, 240),
    "body_mass_g": (2000, 7000),
    "year": (2007, 2009),  # the study's seasons; data from a new season is a decision to make
}
# Shares of rows that may lack a value, where the schema allows missing values at all. The
# bundled file has 0.6% missing measurements and 3.2% missing sex.
MOSTLY_PRESENT: dict[str, float] = {
    "bill_length_mm": 0.95,
    "bill_depth_mm": 0.95,
    "flipper_length_mm": 0.95,
    "body_mass_g": 0.95,
    "sex": 0.90,
}
# Enough rows for a stratified split that leaves every species in both sets several times;
# the bundled file has 344. Far more rows than this means the wrong file was passed.
ROW_COUNT = (300, 100_000)
# pandas dtypes a column of each kind may be read as (NaN turns an integer column to float).
DTYPES = {
    "integer": ["int64", "Int64"],
    "number": ["int64", "float64", "Int64", "Float64"],
}
DRIFT = DriftRules(
    numeric=("bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"),
    categorical=(TARGET, "island", "sex"),
    max_mean_shift_std=0.25,
    max_psi_numeric=0.25,
    max_psi_categorical=0.1,
)


def expectations() -> list:
    """The suite as great-expectations Expectations, one rule each, in report order."""
    import great_expectations.expectations as gxe  # heavy: only when the suite runs

    rules: list = [
        gxe.ExpectTableColumnsToMatchSet(
            column_set=[column.name for column in RAW_COLUMNS],
            exact_match=True,
            description="Schema: exactly the columns of the data dictionary (data/README.md).",
        ),
        gxe.ExpectTableRowCountToBeBetween(
            min_value=ROW_COUNT[0],
            max_value=ROW_COUNT[1],
            description="Row count: a truncated or wrong file shows here first.",
        ),
    ]
    for column in RAW_COLUMNS:
        if column.kind == "category":
            rules.append(
                gxe.ExpectColumnValuesToBeOfType(
                    column=column.name, type_="str", description="Schema: a text column."
                )
            )
            rules.append(
                gxe.ExpectColumnValuesToBeInSet(
                    column=column.name,
                    value_set=list(column.categories),
                    description="Allowed values: a new spelling would become a new category.",
                )
            )
        else:
            rules.append(
                gxe.ExpectColumnValuesToBeInTypeList(
                    column=column.name,
                    type_list=DTYPES[column.kind],
                    description=f"Schema: every value is a number ({column.kind}).",
                )
            )
        # The target must be known in raw data too: prepare would drop an unlabelled row
        # silently, and a source that starts losing labels is worth a stop.
        if not column.nullable or column.name == TARGET:
            rules.append(
                gxe.ExpectColumnValuesToNotBeNull(
                    column=column.name, description="Nulls: this column is never empty."
                )
            )
        elif column.name in MOSTLY_PRESENT:
            share = MOSTLY_PRESENT[column.name]
            rules.append(
                gxe.ExpectColumnValuesToNotBeNull(
                    column=column.name,
                    mostly=share,
                    description=f"Nulls: at least {share:.0%} of the rows have a value.",
                )
            )
        if column.name in RANGES:
            low, high = RANGES[column.name]
            rules.append(
                gxe.ExpectColumnValuesToBeBetween(
                    column=column.name,
                    min_value=low,
                    max_value=high,
                    description="Range: outside means a unit mix-up or a typo.",
                )
            )
    rules.append(
        gxe.ExpectColumnValuesToBeUnique(column=ID_COLUMN, description="Keys: one row per penguin.")
    )
    return rules


SUITE = Suite(
    name="penguins_raw",
    description="The raw penguin measurements (--raw-data), before prepare cleans them.",
    tables=("raw",),
    expectations=expectations,
    drift=DRIFT,
)
