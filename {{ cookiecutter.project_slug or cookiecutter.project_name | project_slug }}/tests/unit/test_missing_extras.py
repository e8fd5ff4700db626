"""A command whose extra is not installed says which extra to install, in one line, instead of
ending in a ModuleNotFoundError traceback."""

from __future__ import annotations

import importlib
import sys

import pytest

PACKAGE_NAME = {{ cookiecutter.package_name | tojson }}


class _BlockExtras:
    """An import hook that makes the heavy extras look uninstalled."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"great_expectations", "azure"}:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


@pytest.fixture
def without_extras(monkeypatch):
    for name in list(sys.modules):
        if name.split(".")[0] in {"great_expectations", "azure"}:
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [_BlockExtras(), *sys.meta_path])


def test_data_validation_without_the_data_extra_names_it(
    without_extras, capsys, prepared_dir, raw_data, tmp_path
):
    validate_data = importlib.import_module(f"{PACKAGE_NAME}.validate_data")
    argv = ["--raw-data", str(raw_data), "--prepared-dir", str(prepared_dir)]
    code = validate_data.main([*argv, "--report", str(tmp_path / "report")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err == ["validate_data: error: this needs the 'data' extra: pip install -e '.[data]'"]


def test_azureml_validation_without_the_aml_extra_names_it(without_extras, capsys):
    aml_cli = importlib.import_module("aml_tool.cli")
    code = aml_cli.main(["validate"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err == ["aml: error: this needs the 'aml' extra: pip install -e '.[aml]'"]
