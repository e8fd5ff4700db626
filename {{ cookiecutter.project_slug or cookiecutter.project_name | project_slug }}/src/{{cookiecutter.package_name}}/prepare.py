"""Clean the raw penguin data and split it into a training and a test set.

    python -m <package>.prepare --raw-data FILE --output-dir DIR [--test-size 0.25] [--seed 42]

Writes ``DIR/train.csv`` and ``DIR/test.csv``: schema-typed, rows without a target dropped,
split stratified by species so both sets keep the class balance. The same seed and input
always give byte-identical files.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from sklearn.model_selection import train_test_split

from .cli import (
    StepArgumentParser,
    existing_file,
    open_fraction,
    output_dir,
    run_step,
    write_csv_atomically,
)
from .data import ID_COLUMN, TARGET, SchemaError, load_dataset

TRAIN_FILE = "train.csv"
TEST_FILE = "test.csv"


def clean(raw: pd.DataFrame) -> pd.DataFrame:
    """Rows with a target, ordered by ``penguin_id``: the order never depends on the file's."""
    labelled = raw.dropna(subset=[TARGET])
    return labelled.sort_values(ID_COLUMN, kind="stable").reset_index(drop=True)


def split(cleaned: pd.DataFrame, test_size: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A stratified train/test split; the test set gets ``ceil(test_size * rows)`` rows."""
    if cleaned.empty:
        raise SchemaError(f"no row has a '{TARGET}' value; there is nothing to learn from")
    counts = cleaned[TARGET].value_counts()
    rare = counts[counts < 2]
    if not rare.empty:
        raise SchemaError(
            f"species {rare.index[0]!r} has {rare.iloc[0]} labelled row; "
            "a stratified split needs at least 2 per species"
        )
    n_test = math.ceil(len(cleaned) * test_size)  # how scikit-learn sizes the test set
    if n_test < len(counts) or len(cleaned) - n_test < len(counts):
        raise SchemaError(
            f"{len(cleaned)} labelled rows cannot hold {len(counts)} species in both sets "
            f"with --test-size {test_size}"
        )
    train, test = train_test_split(
        cleaned, test_size=test_size, random_state=seed, stratify=cleaned[TARGET]
    )
    return (
        train.sort_values(ID_COLUMN).reset_index(drop=True),
        test.sort_values(ID_COLUMN).reset_index(drop=True),
    )


def build_parser() -> argparse.ArgumentParser:
    parser = StepArgumentParser(
        prog=f"python -m {__package__}.prepare",
        description="Clean the raw penguin data and split it into train.csv and test.csv.",
    )
    parser.add_argument(
        "--raw-data", type=existing_file, required=True, metavar="FILE", help="raw penguin CSV"
    )
    parser.add_argument(
        "--output-dir", type=Path, required=True, metavar="DIR", help="gets train.csv, test.csv"
    )
    parser.add_argument(
        "--test-size",
        type=open_fraction,
        default=0.25,
        metavar="FRACTION",
        help="share of rows held out for testing (default: 0.25)",
    )
    parser.add_argument("--seed", type=int, default=42, help="split seed (default: 42)")
    return parser


def _prepare(args: argparse.Namespace) -> str:
    cleaned = clean(load_dataset(args.raw_data))
    train, test = split(cleaned, args.test_size, args.seed)
    destination = output_dir(args.output_dir, "--output-dir")
    write_csv_atomically(train, destination / TRAIN_FILE)
    write_csv_atomically(test, destination / TEST_FILE)
    return f"wrote {len(train)} training and {len(test)} test rows to {destination}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the step; returns the exit code (see ``cli`` for what each code means)."""
    return run_step("prepare", build_parser(), _prepare, argv)


if __name__ == "__main__":
    raise SystemExit(main())
