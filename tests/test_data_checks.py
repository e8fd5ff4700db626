"""A baked project's data tests pass on its bundled data, its `make validate-data` writes the
report CI publishes and fails on drifted data, and its reference profile does not depend on
the names the project was baked with."""

from __future__ import annotations

import json
import re
import sys
import time

import pandas as pd
import pytest

# The baked package is not installed in the template's environment: point Python at src/.
PYTHON_WITH_SRC = f"env PYTHONPATH=src {sys.executable}"


@pytest.mark.slow
def test_baked_project_data_tests_pass(bake, run_in):
    project = bake()

    started = time.perf_counter()
    result = run_in(project, "python", "-m", "pytest", "tests/data", "-q", "-p", "no:cacheprovider")
    elapsed = time.perf_counter() - started

    tail = (result.stdout + result.stderr)[-4000:]
    assert result.returncode == 0, tail
    passed = re.search(r"\b(\d+) passed\b", result.stdout)
    assert passed and int(passed.group(1)) >= 20, tail
    print(f"baked tests/data: {passed.group(0)} in {elapsed:.1f} s")


def test_make_validate_data_writes_the_report_and_fails_on_drifted_data(bake_fresh, run_in):
    project = bake_fresh()
    report = project / "outputs" / "data-report"

    good = run_in(project, "make", "validate-data", f"PYTHON={PYTHON_WITH_SRC}")

    assert good.returncode == 0, good.stdout + good.stderr
    assert {p.name for p in report.iterdir()} >= {
        "data-report.md",
        "data-report.html",
        "data-report.json",
    }
    assert json.loads((report / "data-report.json").read_text())["success"] is True

    # Heavier penguins: still valid rows (prepare accepts them), but the mean moved ~0.5 std.
    raw = pd.read_csv(project / "data" / "raw" / "penguins.csv")
    raw["body_mass_g"] = raw["body_mass_g"] + 400
    raw.to_csv(project / "heavier.csv", index=False)

    drifted = run_in(
        project, "make", "validate-data", f"PYTHON={PYTHON_WITH_SRC}", "RAW=heavier.csv"
    )

    assert drifted.returncode != 0
    assert "expect_column_mean_to_be_between [body_mass_g]" in drifted.stdout
    document = json.loads((report / "data-report.json").read_text())
    failed = {(o["check"], o["column"]) for o in document["outcomes"] if o["status"] != "passed"}
    assert ("expect_column_mean_to_be_between", "body_mass_g") in failed
    assert "body_mass_g" in (report / "data-report.html").read_text()


def test_reference_profile_is_current_whatever_the_project_is_called(bake, run_in):
    project = bake(project_name="Seabird Colony Study")
    package = "seabird_colony_study"

    result = run_in(
        project,
        "env",
        "PYTHONPATH=src",
        sys.executable,
        "-m",
        f"{package}.validate_data",
        "refresh-reference",
        "--raw-data",
        "data/raw/penguins.csv",
        "--check",
    )

    assert result.returncode == 0, result.stdout + result.stderr
