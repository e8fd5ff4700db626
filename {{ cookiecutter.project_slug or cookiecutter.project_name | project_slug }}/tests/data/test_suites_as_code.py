"""Suites are plain modules: one file adds a dataset, importing them never loads GX, and the
drift arithmetic behaves as its docstrings say."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }} import validate_data
from {{ cookiecutter.package_name }}.data_checks import suites
from {{ cookiecutter.package_name }}.data_checks.model import DataCheckError
from {{ cookiecutter.package_name }}.data_checks.profile import bin_shares, category_shares, psi

PACKAGE = "{{ cookiecutter.package_name }}"

NEW_SUITE = '''
"""Suite for a lookup table of islands: the one file a new dataset needs."""

from {{ cookiecutter.package_name }}.data_checks.model import Suite


def expectations() -> list:
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectColumnValuesToBeUnique(column="island"),
        gxe.ExpectColumnValuesToBeBetween(column="area_km2", min_value=0),
    ]


SUITE = Suite(
    name="islands_lookup",
    description="Islands of the Palmer Archipelago.",
    tables=("islands",),
    expectations=expectations,
)
'''


@pytest.fixture
def extra_suite_dir(tmp_path, monkeypatch):
    """A folder that discover() also scans, as if its files were in data_checks/suites/."""
    folder = tmp_path / "more_suites"
    folder.mkdir()
    monkeypatch.setattr(suites, "__path__", [*suites.__path__, str(folder)])
    for name in [m for m in sys.modules if m.startswith(f"{suites.__name__}.")]:
        monkeypatch.delitem(sys.modules, name)
    return folder


def test_the_bundled_suites_are_discovered_in_name_order():
    assert [suite.name for suite in suites.discover()] == ["penguins_raw", "penguins_split"]


def test_one_file_adds_a_dataset_suite_that_runs_on_its_own_table(
    extra_suite_dir, tmp_path, run_validation
):
    (extra_suite_dir / "islands_lookup.py").write_text(NEW_SUITE, encoding="utf-8")
    islands = tmp_path / "islands.csv"
    islands.write_text("island,area_km2\nBiscoe,10\nDream,-2\nDream,1\n", encoding="utf-8")

    run = run_validation(args=("--data", f"islands={islands}"), suites=("islands_lookup",))

    failed = {(o["check"], o["column"]) for o in run.outcomes("islands_lookup", "failed")}
    assert failed == {
        ("expect_column_values_to_be_unique", "island"),
        ("expect_column_values_to_be_between", "area_km2"),
    }
    between = run.outcome("expect_column_values_to_be_between", "area_km2")
    assert [row["line"] for row in between["sample_rows"]] == [3]


def test_a_suite_file_without_suite_is_named_in_the_error(extra_suite_dir):
    (extra_suite_dir / "half_done.py").write_text("RULES = []\n", encoding="utf-8")

    with pytest.raises(DataCheckError, match="half_done defines no SUITE"):
        suites.discover()


def test_a_suite_whose_table_was_not_passed_stops_the_run_with_exit_2(
    extra_suite_dir, capsys, tmp_path, raw_file, prepared_dir, reference_dir
):
    (extra_suite_dir / "islands_lookup.py").write_text(NEW_SUITE, encoding="utf-8")

    code = validate_data.main(
        ["--raw-data", str(raw_file), "--prepared-dir", str(prepared_dir)]
        + ["--report", str(tmp_path / "r"), "--reference-dir", str(reference_dir)]
    )

    err = capsys.readouterr().err
    assert code == 2
    assert "'islands_lookup' needs table(s) islands: pass --data NAME=FILE" in err


@pytest.mark.slow  # starts a new Python: seconds, not milliseconds
def test_importing_the_package_steps_and_suites_does_not_import_great_expectations():
    script = textwrap.dedent(
        f"""
        import sys
        import {PACKAGE}.prepare, {PACKAGE}.validate_data
        from {PACKAGE}.data_checks import suites
        suites.discover()
        assert "great_expectations" not in sys.modules, "GX imported"
        """
    )
    src = Path(validate_data.__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(src)}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )

    assert result.returncode == 0, result.stderr


def test_psi_is_zero_for_identical_shares_and_grows_with_the_shift():
    same, _ = psi([0.5, 0.5], [0.5, 0.5])
    small, _ = psi([0.5, 0.5], [0.55, 0.45])
    large, _ = psi([0.5, 0.5], [0.8, 0.2])

    assert same == 0.0
    assert 0.0 < small < 0.1 < large


def test_bin_shares_put_a_value_on_a_cut_point_in_the_upper_bin():
    assert bin_shares(np.array([1.0, 2.0, 2.0, 3.0]), [2.0]) == [0.25, 0.75]


def test_category_shares_count_missing_values_as_a_category():
    shares = category_shares(pd.Series(["a", None, "a", "b"]))

    assert shares == {"<missing>": 0.25, "a": 0.5, "b": 0.25}
