"""The workspace coordinates, read from the ``azureml`` section of project.yml (one place).

project.yml holds names only (subscription, resource group, workspace, compute{% if cookiecutter.deployment != "none" %}, endpoint{% endif %});
credentials come from the Azure login at run time and are never stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

SECTION = "azureml"
GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


class ConfigError(Exception):
    """project.yml is missing or unusable; the message names the file, the key and the rule."""


@dataclass(frozen=True)
class WorkspaceConfig:
    """The ``azureml`` section of project.yml, checked."""

    subscription_id: str
    resource_group: str
    workspace: str
    compute_name: str
    vm_size: str
{%- if cookiecutter.deployment != "none" %}
    endpoint_name: str
{%- endif %}

    @property
    def where(self) -> str:
        """'workspace W (resource group R)' for messages."""
        return f"workspace '{self.workspace}' (resource group '{self.resource_group}')"


KEYS = tuple(WorkspaceConfig.__dataclass_fields__)


def load_config(path: Path) -> WorkspaceConfig:
    """Read and check the ``azureml`` section of ``path``; ConfigError on the first problem.

    Every key must be present and a non-empty string, the subscription id a GUID, and no
    unknown key may appear (a misspelt key would otherwise be silently ignored).
    """
    if not path.is_file():
        raise ConfigError(
            f"{path} not found: run from the project root or pass --config PATH/project.yml"
        )
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or "not valid YAML"
        raise ConfigError(f"{path}: invalid YAML{where}: {problem}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot be read ({error})") from None
    if not isinstance(document, dict) or SECTION not in document:
        raise ConfigError(f"{path}: missing section '{SECTION}:' with the workspace names")
    section = document[SECTION]
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: '{SECTION}' must be a mapping of names")
    unknown = sorted(str(key) for key in section if key not in KEYS)
    if unknown:
        raise ConfigError(f"{path}: unknown key {SECTION}.{unknown[0]} (known: {', '.join(KEYS)})")
    values = {}
    for key in KEYS:
        value = section.get(key)
        if value is None:
            raise ConfigError(f"{path}: {SECTION}.{key} is missing")
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{path}: {SECTION}.{key} must be a non-empty string")
        values[key] = value.strip()
    if not GUID.match(values["subscription_id"]):
        raise ConfigError(
            f"{path}: {SECTION}.subscription_id must be a GUID (az account show --query id -o tsv)"
        )
    return WorkspaceConfig(**values)
