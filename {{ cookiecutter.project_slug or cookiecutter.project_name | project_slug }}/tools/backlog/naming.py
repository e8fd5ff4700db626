"""Azure DevOps naming rules, as the service enforces them (docs: "Naming restrictions").

Standard library only, no Jinja: cookiecutter's pre-generation hook loads this very file from
the template to check the answers before anything is written, and the backlog validator uses
it to check ``backlog.yml`` before any request is sent. One copy of the rules, two callers.

Every ``check_*`` function returns ``None`` when the value is accepted, otherwise one sentence
that states the rule that was broken (the caller adds the field name and the value).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

# Names Windows and IIS reserve, which Azure DevOps refuses for projects and classification nodes.
RESERVED_NAMES = frozenset(
    name.lower()
    for name in (
        "AUX",
        "CON",
        "NUL",
        "PRN",
        "SERVER",
        "SignalR",
        "DefaultCollection",
        "Web",
        "App_Browsers",
        "App_code",
        "App_Data",
        "App_GlobalResources",
        "App_LocalResources",
        "App_Themes",
        "App_WebResources",
        "bin",
        "web.config",
        *(f"COM{i}" for i in range(1, 11)),
        *(f"LPT{i}" for i in range(1, 10)),
    )
)

PROJECT_FORBIDDEN = set("\\/:*?\"'<>|;#${},+=[]")
TEAM_FORBIDDEN = set("/:\\~&%;@'\"?<>|#$*}{,+=[]")
NODE_FORBIDDEN = set('\\/$?*:"&><#%|+')
QUERY_FORBIDDEN = set("\\/:*?\"<>|#%&$;~+=[]{},'")
TAG_FORBIDDEN = set(",;")

PROJECT_MAX = 64
TEAM_MAX = 64
NODE_MAX = 255
QUERY_MAX = 255
TAG_MAX = 400
ITERATION_DEPTH_MAX = 14
ITERATION_PATH_MAX = 4000

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_ORG_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,48}[A-Za-z0-9])?$")


def _common(value: str, kind: str, max_len: int, forbidden: set[str]) -> str | None:
    if not value or not value.strip():
        return f"{kind} must not be empty"
    if value != value.strip():
        return f"{kind} must not start or end with a space"
    # Azure DevOps counts UTF-16 code units and refuses surrogate pairs (emoji and other
    # characters beyond U+FFFF), as Windows file names do.
    if any(ord(ch) > 0xFFFF for ch in value):
        return f"{kind} must not contain emoji or other characters beyond U+FFFF"
    if len(value) > max_len:
        return f"{kind} must be at most {max_len} characters (it has {len(value)})"
    if _CONTROL.search(value):
        return f"{kind} must not contain control characters (tab, newline, ...)"
    bad = sorted({ch for ch in value if ch in forbidden})
    if bad:
        return f"{kind} must not contain {' '.join(bad)} (forbidden: {' '.join(sorted(forbidden))})"
    return None


def check_project_name(value: str) -> str | None:
    """An Azure DevOps project name."""
    problem = _common(value, "an Azure DevOps project name", PROJECT_MAX, PROJECT_FORBIDDEN)
    if problem:
        return problem
    if value.startswith("_"):
        return "an Azure DevOps project name must not start with an underscore"
    if value.startswith(".") or value.endswith("."):
        return "an Azure DevOps project name must not start or end with a period"
    if value.lower() in RESERVED_NAMES:
        return f"'{value}' is a name Azure DevOps reserves"
    return None


def check_team_name(value: str) -> str | None:
    """An Azure DevOps team name."""
    problem = _common(value, "an Azure DevOps team name", TEAM_MAX, TEAM_FORBIDDEN)
    if problem:
        return problem
    if set(value) == {"."}:
        return "an Azure DevOps team name must not consist of periods only"
    if value.startswith(".") or value.endswith("."):
        return "an Azure DevOps team name must not start or end with a period"
    return None


def check_node_name(value: str) -> str | None:
    """One node of an area or iteration path (a sprint name, the project's iteration folder)."""
    problem = _common(value, "an area or iteration node name", NODE_MAX, NODE_FORBIDDEN)
    if problem:
        return problem
    if value in {".", ".."}:
        return "an area or iteration node name must not be '.' or '..'"
    if value.lower() in RESERVED_NAMES:
        return f"'{value}' is a name Azure DevOps reserves"
    return None


def check_iteration_path(nodes: list[str]) -> str | None:
    """A whole iteration path below the project root, node by node."""
    if len(nodes) + 1 > ITERATION_DEPTH_MAX:
        return f"an iteration path may be at most {ITERATION_DEPTH_MAX} levels deep"
    if len("\\".join(nodes)) > ITERATION_PATH_MAX:
        return f"an iteration path must be at most {ITERATION_PATH_MAX} characters"
    for node in nodes:
        problem = check_node_name(node)
        if problem:
            return problem
    return None


def check_query_name(value: str) -> str | None:
    """A shared query or query folder name."""
    return _common(value, "a query or query folder name", QUERY_MAX, QUERY_FORBIDDEN)


def check_tag(value: str) -> str | None:
    """A work item tag (tags are stored as one '; '-separated string)."""
    return _common(value, "a work item tag", TAG_MAX, TAG_FORBIDDEN)


def check_org_url(value: str) -> str | None:
    """https://dev.azure.com/ORG, https://ORG.visualstudio.com or a server collection URL."""
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return "the organization URL must be an http(s) URL such as https://dev.azure.com/ORG"
    if parts.query or parts.fragment or "@" in parts.netloc:
        return "the organization URL must not contain credentials, a query or a fragment"
    segments = [s for s in parts.path.split("/") if s]
    host = (parts.hostname or "").lower()
    if host == "dev.azure.com":
        if parts.scheme != "https":
            return "Azure DevOps Services URLs use https"
        if len(segments) != 1 or not _ORG_NAME.match(segments[0]):
            return (
                "a dev.azure.com URL must be https://dev.azure.com/ORG with one organization "
                "name of letters, digits and hyphens (no project or team after it)"
            )
    elif host.endswith(".visualstudio.com"):
        if parts.scheme != "https" or segments:
            return "a visualstudio.com URL must be https://ORG.visualstudio.com with no path"
    elif not segments:
        return (
            "an Azure DevOps Server URL must name the collection, "
            "e.g. https://server/tfs/DefaultCollection"
        )
    return None


def mask_url(value: str) -> str:
    """``value`` safe to print: credentials in a URL's user-info, query or fragment (where a
    token typed by mistake would sit) are replaced by ``***``; anything else is unchanged."""
    parts = urlsplit(value)
    if not parts.scheme or not parts.netloc:
        return value
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rsplit("@", 1)[1]
    return urlunsplit(
        (
            parts.scheme,
            netloc,
            parts.path,
            "***" if parts.query else "",
            "***" if parts.fragment else "",
        )
    )
