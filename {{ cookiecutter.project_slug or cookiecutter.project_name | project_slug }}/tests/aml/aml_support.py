"""Paths shared by the AzureML tests (a plain module: conftest is for fixtures).

The AzureML tool itself (tools/aml_tool) is tested in the template, against fakes of the
workspace; these tests check this project's definitions, steps and scoring scripts.
"""

from __future__ import annotations

from pathlib import Path

from {{ cookiecutter.package_name }} import (
    prepare,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
AML_DIR = PROJECT_ROOT / "aml"
PACKAGE = prepare.__package__
RAW_DATA = PROJECT_ROOT / "data" / "raw" / "penguins.csv"
SAMPLE_REQUEST = PROJECT_ROOT / "data" / "sample" / "request.csv"
{%- if cookiecutter.deployment == "online" %}
ONLINE_SAMPLE = AML_DIR / "endpoints" / "online" / "sample-request.json"
{%- endif %}
