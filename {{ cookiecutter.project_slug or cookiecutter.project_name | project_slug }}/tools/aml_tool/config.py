"""The workspace coordinates, read from the ``azureml`` section of project.yml (one place).

project.yml holds names only (subscription, resource group, workspace, compute and, for a
project that deploys, each release environment's endpoint); credentials come from the Azure
login at run time and are never stored.

What the project deploys is ``project.deployment`` (online, batch or none): it decides which
definitions belong in aml/, which commands exist and what a release environment sets. The
tool reads it at run time, so the same tools/aml_tool serves every project the template bakes.

Training uses the section's top-level names. ``load_config(path, "dev")`` or ``"prod"`` gives
the same subscription with that environment's resource group, workspace, compute and endpoint
(``azureml.environments.<name>``), so dev and prod never share an endpoint by accident.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

SECTION = "azureml"
GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
KEYS = ("subscription_id", "resource_group", "workspace", "compute_name", "vm_size")
DEPLOYMENTS = ("online", "batch", "none")
ENVIRONMENTS = ("dev", "prod")
# What each release environment sets for itself, by what the project deploys: an online
# endpoint runs on instances of a size, a batch endpoint on a compute cluster.
ENVIRONMENT_KEYS = {
    "online": ("resource_group", "workspace", "endpoint_name", "instance_type"),
    "batch": ("resource_group", "workspace", "endpoint_name", "compute_name"),
}
# Numbers are whole and at least 1.
NUMBER_KEYS = ("instance_count",)


class ConfigError(Exception):
    """project.yml is missing or unusable; the message names the file, the key and the rule."""


@dataclass(frozen=True)
class WorkspaceConfig:
    """The ``azureml`` section of project.yml, checked; for a release environment, its names
    replace the training ones. ``deployment`` is project.yml's ``project.deployment``."""

    subscription_id: str
    resource_group: str
    workspace: str
    compute_name: str
    vm_size: str
    deployment: str = "none"
    environment: str | None = None
    endpoint_name: str = ""
    instance_type: str = ""
    instance_count: int = 1

    @property
    def deploys(self) -> bool:
        """Whether the project has an endpoint (and so release environments)."""
        return self.deployment != "none"

    @property
    def where(self) -> str:
        """'workspace W (resource group R)' for messages."""
        return f"workspace '{self.workspace}' (resource group '{self.resource_group}')"


def _read(path: Path) -> dict:
    """project.yml as a mapping; ConfigError naming the file when it is missing or not YAML."""
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
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: must be a mapping with the sections project: and {SECTION}:")
    return document


def _section(path: Path, document: dict) -> dict:
    if SECTION not in document:
        raise ConfigError(f"{path}: missing section '{SECTION}:' with the workspace names")
    section = document[SECTION]
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: '{SECTION}' must be a mapping of names")
    return section


def _deployment(path: Path, document: dict) -> str:
    project = document.get("project")
    value = project.get("deployment") if isinstance(project, dict) else None
    if value not in DEPLOYMENTS:
        shown = "missing" if value is None else f"{value!r}"
        raise ConfigError(
            f"{path}: project.deployment is {shown}; it must be one of {', '.join(DEPLOYMENTS)}"
        )
    return value


def read_deployment(path: Path) -> str:
    """project.yml's ``project.deployment`` (online, batch or none); ConfigError otherwise."""
    return _deployment(path, _read(path))


def _names(path: Path, section: dict, where: str, keys: tuple[str, ...]) -> dict[str, str]:
    """Every key of ``keys`` as a non-empty string; no unknown key (a typo would be ignored)."""
    values = {}
    for key in keys:
        value = section.get(key)
        if value is None:
            raise ConfigError(f"{path}: {where}.{key} is missing")
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{path}: {where}.{key} must be a non-empty string")
        values[key] = value.strip()
    return values


def _no_unknown(path: Path, section: dict, where: str, known: tuple[str, ...]) -> None:
    unknown = sorted(str(key) for key in section if key not in known)
    if unknown:
        raise ConfigError(f"{path}: unknown key {where}.{unknown[0]} (known: {', '.join(known)})")


def load_config(path: Path, environment: str | None = None) -> WorkspaceConfig:
    """Read and check the ``azureml`` section of ``path``; ConfigError on the first problem.

    Every key must be present and a non-empty string, the subscription id a GUID, and no
    unknown key may appear (a misspelt key would otherwise be silently ignored). A project that
    deploys has exactly the release environments dev and prod; ``environment`` picks one.
    """
    document = _read(path)
    section = _section(path, document)
    deployment = _deployment(path, document)
    deploys = deployment != "none"
    _no_unknown(path, section, SECTION, (*KEYS, "environments") if deploys else KEYS)
    values = _names(path, section, SECTION, KEYS)
    if not GUID.match(values["subscription_id"]):
        raise ConfigError(
            f"{path}: {SECTION}.subscription_id must be a GUID (az account show --query id -o tsv)"
        )
    values["deployment"] = deployment
    if not deploys:
        if environment is not None:
            raise ConfigError(f"{path}: no release environments: project.deployment is 'none'")
        return WorkspaceConfig(**values)
    environments = section.get("environments")
    if not isinstance(environments, dict) or sorted(environments) != sorted(ENVIRONMENTS):
        raise ConfigError(f"{path}: {SECTION}.environments must have exactly dev and prod")
    for name in ENVIRONMENTS:
        check_environment(path, environments[name], name, deployment)
    if environment is None:
        return WorkspaceConfig(**values)
    if environment not in ENVIRONMENTS:
        raise ConfigError(f"{path}: no environment {environment!r} (known: dev, prod)")
    own = check_environment(path, environments[environment], environment, deployment)
    return WorkspaceConfig(**{**values, **own, "environment": environment})


def check_environment(path: Path, block: object, name: str, deployment: str) -> dict:
    """One release environment's names and numbers, checked for what ``deployment`` needs."""
    where = f"{SECTION}.environments.{name}"
    if not isinstance(block, dict):
        raise ConfigError(f"{path}: {where} must be a mapping of names")
    keys = ENVIRONMENT_KEYS[deployment]
    _no_unknown(path, block, where, (*keys, *NUMBER_KEYS))
    values: dict = _names(path, block, where, keys)
    for key in NUMBER_KEYS:
        number = block.get(key)
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            raise ConfigError(f"{path}: {where}.{key} must be a whole number of at least 1")
        values[key] = number
    return values
