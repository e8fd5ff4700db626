"""The validate_data command line: exit codes, one clear error line, escaped reports, and
refreshing the reference profile only on purpose."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }} import validate_data


def _main(capsys, *argv: str) -> tuple[int, str, str]:
    code = validate_data.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _args(raw: Path, prepared: Path, report: Path, reference: Path) -> list[str]:
    return [
        "--raw-data", str(raw),
        "--prepared-dir", str(prepared),
        "--report", str(report),
        "--reference-dir", str(reference),
    ]  # fmt: skip


def test_missing_raw_file_exits_2_with_one_line_and_writes_no_report(
    capsys, tmp_path, prepared_dir, reference_dir
):
    report = tmp_path / "report"
    args = _args(tmp_path / "nope.csv", prepared_dir, report, reference_dir)

    code, _, err = _main(capsys, *args)

    assert code == 2
    assert err.count("\n") == 1
    assert "--raw-data" in err and "file not found" in err
    assert not report.exists()


def test_prepared_dir_without_train_csv_names_the_flag_and_the_file(
    capsys, tmp_path, raw_file, reference_dir
):
    empty = tmp_path / "prepared"
    empty.mkdir()

    code, _, err = _main(capsys, *_args(raw_file, empty, tmp_path / "r", reference_dir))

    assert code == 2
    assert "--prepared-dir" in err and "train.csv" in err


def test_missing_reference_profile_says_how_to_create_it(capsys, tmp_path, raw_file, prepared_dir):
    report = tmp_path / "report"

    code, _, err = _main(capsys, *_args(raw_file, prepared_dir, report, tmp_path / "none"))

    assert code == 2
    assert "penguins_raw.json not found" in err and "refresh-reference" in err
    assert not report.exists()


def test_empty_raw_file_is_one_clear_error(capsys, tmp_path, prepared_dir, reference_dir):
    empty = tmp_path / "raw.csv"
    empty.write_text("", encoding="utf-8")

    code, _, err = _main(capsys, *_args(empty, prepared_dir, tmp_path / "r", reference_dir))

    assert code == 1
    assert err.strip().endswith("is empty, expected a CSV header")


def test_a_test_size_outside_0_1_is_refused(capsys, tmp_path, raw_file, prepared_dir):
    args = _args(raw_file, prepared_dir, tmp_path / "r", tmp_path)

    code, _, err = _main(capsys, *args, "--test-size", "1.5")

    assert code == 2
    assert "--test-size" in err


def test_data_values_are_escaped_in_html_and_markdown(raw, run_validation):
    raw.loc[7, "island"] = "<script>alert('x')</script>"

    run = run_validation(raw=raw, suites=("penguins_raw",))

    assert run.code == 1
    assert "<script>" not in run.html
    assert "&lt;script&gt;" in run.html
    assert "<script>" not in run.markdown


def test_refresh_reference_rewrites_the_committed_profile_byte_for_byte(
    capsys, tmp_path, raw_file, reference_dir
):
    code, out, _ = _main(
        capsys, "refresh-reference", "--raw-data", str(raw_file), "--reference-dir", str(tmp_path)
    )

    assert code == 0, out
    fresh = (tmp_path / "penguins_raw.json").read_bytes()
    assert fresh == (reference_dir / "penguins_raw.json").read_bytes()


def test_refresh_check_reports_a_stale_profile_and_writes_nothing(capsys, tmp_path, raw):
    raw["body_mass_g"] = raw["body_mass_g"] * 1.1
    changed = tmp_path / "raw.csv"
    raw.to_csv(changed, index=False)
    reference = tmp_path / "reference"
    argv = ["refresh-reference", "--raw-data", str(changed), "--reference-dir", str(reference)]
    _main(capsys, *argv)
    stored = (reference / "penguins_raw.json").read_bytes()
    raw["body_mass_g"] = raw["body_mass_g"] * 1.1
    raw.to_csv(changed, index=False)

    code, _, err = _main(capsys, *argv, "--check")

    assert code == 1
    assert "penguins_raw.json" in err and "out of date" in err
    assert (reference / "penguins_raw.json").read_bytes() == stored


def test_suite_flag_runs_only_the_named_suite_and_needs_no_prepared_dir(
    capsys, tmp_path, raw_file, reference_dir
):
    report = tmp_path / "report"
    argv = ["--raw-data", str(raw_file), "--report", str(report)]

    code, _, err = _main(
        capsys, *argv, "--reference-dir", str(reference_dir), "--suite", "penguins_raw"
    )

    suites = {o["suite"] for o in json.loads((report / "data-report.json").read_text())["outcomes"]}
    assert code == 0, err
    assert suites == {"penguins_raw"}


def test_split_suite_without_prepared_dir_names_the_missing_flag(
    capsys, tmp_path, raw_file, reference_dir
):
    argv = ["--raw-data", str(raw_file), "--report", str(tmp_path / "r")]

    code, _, err = _main(capsys, *argv, "--reference-dir", str(reference_dir))

    assert code == 2
    assert "'penguins_split' needs table(s) train, test: pass --prepared-dir" in err


def test_unknown_suite_name_lists_the_known_ones(capsys, tmp_path, raw_file):
    argv = ["--raw-data", str(raw_file), "--report", str(tmp_path / "r"), "--suite", "pinguins"]

    code, _, err = _main(capsys, *argv)

    assert code == 2
    assert "no suite named 'pinguins' (known: penguins_raw, penguins_split)" in err


@pytest.mark.parametrize("value", ["noequals", "raw=data.csv", "1x=data.csv"])
def test_data_flag_rejects_malformed_or_reserved_names(capsys, tmp_path, raw_file, value):
    code, _, err = _main(
        capsys, "refresh-reference", "--raw-data", str(raw_file), "--data", value, "--check"
    )

    assert code == 2
    assert "--data" in err
