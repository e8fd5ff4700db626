"""The validate step passes the prepared data on only when every suite passed, so the AzureML
training step (which reads that output) can never train on data that failed its tests."""

from __future__ import annotations

import shutil

from {{ cookiecutter.package_name }}.validate_data import main


def test_data_that_passed_is_passed_on(raw_file, prepared_dir, tmp_path):
    out = tmp_path / "validated"
    argv = ["--raw-data", str(raw_file), "--prepared-dir", str(prepared_dir)]
    code = main([*argv, "--report", str(tmp_path / "report"), "--validated-output", str(out)])
    assert code == 0
    for name in ("train.csv", "test.csv"):
        assert (out / name).read_bytes() == (prepared_dir / name).read_bytes()


def test_data_that_failed_is_not_passed_on(raw_file, prepared_dir, tmp_path):
    broken = tmp_path / "prepared"
    shutil.copytree(prepared_dir, broken)
    (broken / "test.csv").write_text((broken / "train.csv").read_text())  # train leaks into test
    out = tmp_path / "validated"
    argv = ["--raw-data", str(raw_file), "--prepared-dir", str(broken)]
    code = main([*argv, "--report", str(tmp_path / "report"), "--validated-output", str(out)])
    assert code == 1
    assert not (out / "train.csv").exists()
