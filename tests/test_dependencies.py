"""The template's test environment holds every dependency of the generated project, so a baked
project's own tests run in it exactly as they would after `make setup`."""

from __future__ import annotations

import re
import tomllib

import pytest
from bakery import PROJECT_DIR, TEMPLATE

GENERATED = TEMPLATE / PROJECT_DIR / "pyproject.toml"


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0].lower() for r in requirements}


def _generated_dependencies() -> dict[str, set[str]]:
    # The generated pyproject holds Jinja only in quoted values; rendering is not needed to
    # read its dependency lists, which are plain TOML arrays.
    text = GENERATED.read_text()
    section = text[text.index("dependencies = [") :]
    core = re.findall(r'^\s+"([^"]+)",', section[: section.index("]")], re.M)
    extras = {}
    for name, body in re.findall(r"^(\w+) = \[(.*?)^\]", text, re.M | re.S):
        if name in {"backlog", "aml", "data", "dev"}:
            extras[name] = _names(re.findall(r'"([^"]+)"', body))
    return {"core": _names(core), **extras}


TEMPLATE_DEV = _names(
    tomllib.loads((TEMPLATE / "pyproject.toml").read_text())["project"]["optional-dependencies"][
        "dev"
    ]
)


@pytest.mark.parametrize("group", ["core", "backlog", "aml", "data", "dev"])
def test_template_test_environment_has_every_generated_dependency(group):
    generated = _generated_dependencies()
    assert generated[group], f"no {group} dependencies found: the parser is wrong"
    missing = generated[group] - TEMPLATE_DEV - {"pre-commit"}
    assert missing == set(), f"add to the template's dev extra: {sorted(missing)}"
