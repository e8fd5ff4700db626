"""The bundled data passes every suite, and the committed reference profile is current."""

from __future__ import annotations

import pytest

from {{ cookiecutter.package_name }} import validate_data
from {{ cookiecutter.package_name }}.data_checks.suites import discover


@pytest.fixture(scope="module")
def bundled_run(run_validation):
    """One validation of the bundled raw data and its prepared split."""
    return run_validation()


def test_bundled_raw_and_prepared_data_pass_every_suite(bundled_run):
    run = bundled_run

    failed = [o for o in run.report["outcomes"] if o["status"] != "passed"]
    assert run.code == 0, run.stdout + run.stderr
    assert failed == []
    assert run.report["success"] is True
    checked = {(o["suite"], o["table"]) for o in run.report["outcomes"]}
    assert {("penguins_raw", "raw"), ("penguins_split", "train"), ("penguins_split", "test")} <= (
        checked
    )
    assert "PASSED" in run.stdout


def test_every_discovered_suite_contributes_checks_to_the_report(bundled_run):
    reported = {o["suite"] for o in bundled_run.report["outcomes"]}
    assert reported == {suite.name for suite in discover()}


def test_report_is_written_as_markdown_html_and_json(bundled_run, raw_file):
    run = bundled_run

    assert run.markdown.startswith("# Data report: PASSED")
    assert "<h1>Data report: " in run.html and "PASSED" in run.html
    assert run.report["inputs"]["raw"] == str(raw_file)


def test_committed_reference_profile_matches_the_bundled_data(raw_file, reference_dir, capsys):
    code = validate_data.main(
        ["refresh-reference", "--raw-data", str(raw_file), "--reference-dir", str(reference_dir)]
        + ["--check"]
    )

    assert code == 0, capsys.readouterr().err
