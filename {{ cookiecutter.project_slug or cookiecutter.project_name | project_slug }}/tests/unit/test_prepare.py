"""prepare: split sizes, stratification, determinism, cleaning, and its command line."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from {{ cookiecutter.package_name }} import (
    prepare,
)
from {{ cookiecutter.package_name }}.data import (
    ID_COLUMN,
    TARGET,
    load_dataset,
)


def run_prepare(raw: Path, out: Path, *extra: str) -> int:
    return prepare.main(["--raw-data", str(raw), "--output-dir", str(out), *extra])


def test_split_sizes_follow_test_size(raw_data: Path, tmp_path: Path) -> None:
    labelled = load_dataset(raw_data)[TARGET].notna().sum()

    assert run_prepare(raw_data, tmp_path, "--test-size", "0.3") == 0

    test = pd.read_csv(tmp_path / "test.csv")
    train = pd.read_csv(tmp_path / "train.csv")
    assert len(test) == math.ceil(labelled * 0.3)
    assert len(train) == labelled - len(test)


def test_split_is_disjoint_complete_and_stratified(raw_data: Path, prepared_dir: Path) -> None:
    raw = load_dataset(raw_data)
    train = pd.read_csv(prepared_dir / "train.csv")
    test = pd.read_csv(prepared_dir / "test.csv")

    assert set(train[ID_COLUMN]).isdisjoint(test[ID_COLUMN])
    assert set(train[ID_COLUMN]) | set(test[ID_COLUMN]) == set(raw[ID_COLUMN])
    share = len(test) / len(raw)
    for species, count in raw[TARGET].value_counts().items():
        assert abs((test[TARGET] == species).sum() - count * share) <= 1, species


def test_same_seed_gives_identical_files_and_another_seed_differs(
    raw_data: Path, tmp_path: Path
) -> None:
    for name, seed in (("a", "7"), ("b", "7"), ("c", "8")):
        assert run_prepare(raw_data, tmp_path / name, "--seed", seed) == 0

    def test_bytes(name: str) -> bytes:
        return (tmp_path / name / "test.csv").read_bytes()

    assert test_bytes("a") == test_bytes("b")
    assert (tmp_path / "a" / "train.csv").read_bytes() == (
        tmp_path / "b" / "train.csv"
    ).read_bytes()
    assert test_bytes("a") != test_bytes("c")


def test_rows_without_target_are_dropped_and_output_is_typed(
    raw_data: Path, tmp_path: Path
) -> None:
    raw = pd.read_csv(raw_data, dtype=str, keep_default_na=False)
    raw.loc[[0, 5, 200], TARGET] = ""
    unlabelled_ids = set(raw.loc[[0, 5, 200], ID_COLUMN].astype(int))
    raw_file = tmp_path / "raw.csv"
    raw.to_csv(raw_file, index=False)

    assert run_prepare(raw_file, tmp_path / "out") == 0

    both = pd.concat([load_dataset(tmp_path / "out" / f) for f in ("train.csv", "test.csv")])
    assert len(both) == len(raw) - 3
    assert unlabelled_ids.isdisjoint(both[ID_COLUMN])
    assert both[TARGET].notna().all()


@pytest.mark.parametrize(
    ("keep_labels", "message"),
    [
        ({"Adelie", "Gentoo"}, "species 'Chinstrap' has 1 labelled row"),
        (set(), f"no row has a '{TARGET}' value"),
    ],
)
def test_too_few_labelled_rows_exits_1_naming_the_problem(
    raw_data: Path, tmp_path: Path, stderr_lines, keep_labels: set[str], message: str
) -> None:
    raw = pd.read_csv(raw_data, dtype=str, keep_default_na=False)
    unlabelled = ~raw[TARGET].isin(keep_labels)
    # Keep one Chinstrap labelled when the others keep theirs: too few to stratify.
    if keep_labels:
        unlabelled[raw.index[raw[TARGET] == "Chinstrap"][0]] = False
    raw.loc[unlabelled, TARGET] = ""
    raw.to_csv(tmp_path / "raw.csv", index=False)

    status = run_prepare(tmp_path / "raw.csv", tmp_path / "out")

    lines = stderr_lines()
    assert status == 1
    assert len(lines) == 1
    assert message in lines[0]


def test_missing_raw_file_exits_2_with_one_line_naming_the_flag(
    tmp_path: Path, stderr_lines
) -> None:
    status = run_prepare(tmp_path / "nope.csv", tmp_path / "out")

    lines = stderr_lines()
    assert status == 2
    assert len(lines) == 1
    assert lines[0].startswith("prepare: error: argument --raw-data: file not found")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("test_size", ["0", "1", "1.5", "a quarter"])
def test_test_size_outside_zero_one_exits_2(
    raw_data: Path, tmp_path: Path, stderr_lines, test_size: str
) -> None:
    status = run_prepare(raw_data, tmp_path / "out", "--test-size", test_size)

    lines = stderr_lines()
    assert status == 2
    assert len(lines) == 1
    assert "argument --test-size" in lines[0]


def test_raw_data_breaking_the_schema_exits_1_and_writes_nothing(
    raw_data: Path, tmp_path: Path, stderr_lines
) -> None:
    raw = pd.read_csv(raw_data, dtype=str, keep_default_na=False)
    raw.loc[3, "bill_length_mm"] = "n/a"
    raw_file = tmp_path / "raw.csv"
    raw.to_csv(raw_file, index=False)

    status = run_prepare(raw_file, tmp_path / "out")

    lines = stderr_lines()
    assert status == 1
    assert lines == [
        "prepare: error: raw.csv: column 'bill_length_mm' must be a number; line 5 has 'n/a'"
    ]
    assert not (tmp_path / "out" / "train.csv").exists()
    assert not (tmp_path / "out" / "test.csv").exists()


@pytest.mark.slow  # starts a new Python: seconds, not milliseconds
def test_module_runs_from_the_command_line_and_exits_2_without_arguments() -> None:
    src = Path(prepare.__file__).resolve().parents[1]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(src), os.environ.get("PYTHONPATH")])),
    }

    result = subprocess.run(
        [sys.executable, "-m", prepare.__name__],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "prepare: error: the following arguments are required: --raw-data, --output-dir"
    ]
