"""The project's identity and Azure DevOps target, read from ``project.yml`` (the one config file).

Guarantee: ``load_config`` returns a complete ``ProjectConfig`` or raises ``ConfigError`` whose
message is one line naming the field and the rule (``project.yml: azure_devops.team: ...``).
It reads only the ``project`` and ``azure_devops`` sections; the rest belongs to other tools.
Standard library and PyYAML only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

PROJECT_FILE = "project.yml"
# The org URL cookiecutter suggests; it has the right shape but names no real organization.
PLACEHOLDER_ORG_URL = "https://dev.azure.com/your-organization"
_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# The slug becomes part of every tag this tool writes, so it keeps to tag- and URL-safe letters.
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")


class ConfigError(ValueError):
    """``project.yml`` is missing or breaks a rule; the message is one line."""


@dataclass(frozen=True)
class ProjectConfig:
    name: str  # the ML project's display name: the Epic's title
    slug: str  # its stable identity on a shared Azure DevOps project (tags, iteration folder)
    description: str
    org_url: str
    ado_project: str
    ado_team: str
    team_members: tuple[str, ...] = ()


def load_config(project_root: Path) -> ProjectConfig:
    """Read ``<project_root>/project.yml``."""
    path = Path(project_root) / PROJECT_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{PROJECT_FILE}: cannot be read ({exc.strerror or exc})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "file"
        raise ConfigError(f"{PROJECT_FILE}: {where}: invalid YAML") from None
    return config_from_mapping(data)


def config_from_mapping(data: object) -> ProjectConfig:
    """Build a config from already parsed ``project.yml`` content (used by tests too)."""
    if not isinstance(data, dict):
        raise ConfigError(f"{PROJECT_FILE}: file: must be a mapping with project and azure_devops")
    project = _section(data, "project")
    ado = _section(data, "azure_devops")
    members = ado.get("team_members", [])
    if members is None:
        members = []
    if not isinstance(members, list):
        raise ConfigError(f"{PROJECT_FILE}: azure_devops.team_members: must be a list of e-mails")
    for index, member in enumerate(members):
        if not isinstance(member, str) or not _EMAIL.match(member.strip()):
            raise ConfigError(
                f"{PROJECT_FILE}: azure_devops.team_members[{index}]: {member!r} is not an e-mail"
            )
    slug = _line(project, "project", "slug")
    if not _SLUG.match(slug):
        raise ConfigError(
            f"{PROJECT_FILE}: project.slug: {slug!r} must be lower-case letters, digits, '-' or "
            "'_' (at most 100), because it is part of every tag the backlog tool writes"
        )
    return ProjectConfig(
        name=_line(project, "project", "name"),
        slug=slug,
        description=_text(project, "project", "description", default=""),
        org_url=_line(ado, "azure_devops", "organization_url"),
        ado_project=_line(ado, "azure_devops", "project"),
        ado_team=_line(ado, "azure_devops", "team"),
        team_members=tuple(m.strip() for m in members),
    )


def _section(data: dict, name: str) -> dict:
    section = data.get(name)
    if not isinstance(section, dict):
        raise ConfigError(f"{PROJECT_FILE}: {name}: must be a mapping")
    return section


def _text(section: dict, section_name: str, key: str, default: str | None = None) -> str:
    value = section.get(key, default)
    if not isinstance(value, str) or (default is None and not value.strip()):
        raise ConfigError(f"{PROJECT_FILE}: {section_name}.{key}: must be non-empty text")
    return value.strip()


def _line(section: dict, section_name: str, key: str) -> str:
    value = _text(section, section_name, key)
    if _CONTROL.search(value) or len(value) > 255:
        raise ConfigError(
            f"{PROJECT_FILE}: {section_name}.{key}: must be one line of at most 255 characters"
        )
    return value
