"""The rules every answer is checked against, and the names the project already takes.

Standard library only. Two callers load this file by its path: the pre-generation hook (which
cookiecutter runs as a rendered copy in a temporary folder, so it cannot import its siblings)
and the template's Jinja extension, which derives the defaults (a derived default must pass the
same rules, so both use this one copy). Azure DevOps naming rules live in the generated
project's ``tools/backlog/naming.py``; they are passed in as ``naming``.

Every ``check_*`` function returns ``None`` for an accepted value, otherwise one sentence that
states the rule (the caller adds the field and the value).
"""

from __future__ import annotations

import datetime as dt
import keyword
import re
import sys
from pathlib import Path

HOOKS_DIR = Path(__file__).resolve().parent
TEMPLATE_DIR = HOOKS_DIR.parent
# The generated project's folder: named so an empty project_slug still reaches this hook.
PROJECT_TEMPLATE = TEMPLATE_DIR / (
    "{{ cookiecutter.project_slug or cookiecutter.project_name | project_slug }}"
)

SLUG = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
PACKAGE = re.compile(r"^[a-z][a-z0-9_]*$")
EMAIL = re.compile(r"^[^@\s,;<>\"']+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")
GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
RESOURCE_GROUP = re.compile(r"^[-\w.()]{1,90}$")
WORKSPACE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,32}$")
COMPUTE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,14}[A-Za-z0-9]$")
ENDPOINT = re.compile(r"^[A-Za-z][A-Za-z0-9-]{1,30}[A-Za-z0-9]$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # tab and newline are judged separately

# Azure VM size names: Standard_ + family + vCPUs [-constrained vCPUs] + feature letters
# [+ _accelerator] [+ _vN] ("Virtual machine size naming conventions" in the Azure docs), with
# the families AzureML compute clusters are built from. A typo such as Standard_DS3v2 or
# Standard_DS3_V2 fails here instead of at the first `aml setup`, days later.
VM_SIZE = re.compile(
    r"^Standard_(?P<family>[A-Z]{1,3})(?P<vcpus>[1-9][0-9]{0,2})(?:-[1-9][0-9]{0,2})?"
    r"(?P<features>[abdilmprst]{0,6})(?:_(?!V[0-9]+$)(?P<accelerator>[A-Z][A-Za-z0-9]{1,6}))?"
    r"(?:_v(?P<version>[1-9]))?$"
)
VM_FAMILIES = frozenset(
    {"A", "B", "D", "DS", "DC", "E", "EC", "F", "FX", "G", "GS", "H", "HB", "HC", "HX"}
    | {"L", "M", "NC", "ND", "NG", "NV"}
)

SINGLE_LINE = "must be one line (no line breaks or tabs)"
DEPENDENCY_MODULES_FILE = HOOKS_DIR / "dependency_modules.txt"
# Folders of the generated project that are on sys.path when its code or tests run: the root
# (python -m backlog, pytest's rootdir), src/ (the package), the pipeline scripts' folder
# (scripts import their siblings) and every test folder (pytest puts a test folder without
# __init__.py first on sys.path, so its modules become top-level names).
IMPORT_ROOTS = (".", "src", "tools", "tools/pipelines")
_JINJA = re.compile(r"{%.*?%}|{{.*?}}")


def dependency_modules() -> frozenset[str]:
    """Top-level import names of every distribution the generated project installs (all
    extras, transitive). Kept as a file because the hook runs where those are not installed;
    a template test regenerates the list from the test environment and fails on a gap."""
    lines = DEPENDENCY_MODULES_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def project_modules(project_template: Path = PROJECT_TEMPLATE) -> frozenset[str]:
    """Top-level names the generated project's own files take (``backlog``, ``conftest``,
    ``pipeline_yaml``, ...), read from the template itself so the list never goes stale."""
    roots = [project_template / root for root in IMPORT_ROOTS]
    tests = project_template / "tests"
    roots += [p for p in [tests, *tests.rglob("*")] if p.is_dir() and not _is_package(p)]
    names: set[str] = set()
    for root in (r for r in roots if r.is_dir()):
        for entry in root.iterdir():
            name = _JINJA.sub("", entry.name)
            if entry.is_file() and name.endswith(".py"):
                names.add(name[:-3])
            elif entry.is_dir() and _is_package(entry):
                names.add(name)
    return frozenset(n for n in names if n.isidentifier())


def _is_package(folder: Path) -> bool:
    return any(_JINJA.sub("", p.name) == "__init__.py" for p in folder.iterdir())


def check_package(value: str, taken: frozenset[str] | None = None) -> str | None:
    """A Python package name that imports cleanly beside everything the project imports."""
    if not PACKAGE.match(value):
        # AzureML component names (<package>_train) must start with a letter too.
        return "use lower-case letters, digits and underscores, starting with a letter"
    if len(value) > 40:
        return "must be at most 40 characters (it is typed in every import)"
    if keyword.iskeyword(value) or keyword.issoftkeyword(value):
        return "it is a Python keyword"
    if value in sys.stdlib_module_names or value == "test":
        return "it would shadow the standard-library module of the same name"
    if value in (dependency_modules() if taken is None else taken):
        return "it would shadow a module the project depends on"
    if value in project_modules():
        return "it would shadow a module of the generated project itself"
    return None


def check_slug(value: str) -> str | None:
    if not SLUG.match(value) or len(value) > 63:
        return "use 1-63 lower-case letters, digits and single hyphens, starting with a letter"
    return None


def check_text(value: str, limit: int, *, multiline: bool = False) -> str | None:
    if not value.strip():
        return "must not be empty"
    if len(value) > limit:
        return f"must be at most {limit} characters"
    if CONTROL.search(value):
        return "must not contain control characters"
    if not multiline and ("\n" in value or "\r" in value or "\t" in value):
        return SINGLE_LINE
    return None


def check_int(value: str, low: int, high: int) -> str | None:
    if not re.fullmatch(r"\s*[0-9]+\s*", value):
        return f"must be a whole number from {low} to {high}"
    if not low <= int(value) <= high:
        return f"must be from {low} to {high}"
    return None


def check_start_date(value: str) -> str | None:
    # date.fromisoformat also takes 20270104 and 2027-W01-1, which backlog.yml does not.
    if not ISO_DATE.match(value):
        return "must be a date written YYYY-MM-DD (no spaces, no other form)"
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return "must be an existing date written YYYY-MM-DD"
    if not 2000 <= day.year <= 2100:
        return "must be a date between the years 2000 and 2100"
    if day.weekday() >= 5:
        return "must be a working day (Monday to Friday): sprints start on a working day"
    return None


def start_date_warning(value: str, today: dt.date) -> str | None:
    """A start date in the past is allowed (a team that already started), but said aloud."""
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return None
    if day < today:
        return (
            f"first_sprint_start={value!r} is in the past: the sprints before today are "
            "created already started (or finished) on the board"
        )
    return None


def check_members(value: str) -> str | None:
    members = [m.strip() for m in value.split(",") if m.strip()]
    for member in members:
        if not EMAIL.match(member):
            return f"{member!r} is not an e-mail address (list e-mails separated by commas)"
    if len({m.lower() for m in members}) != len(members):
        return "lists the same person twice"
    return None


def check_approvers(value: str) -> str | None:
    if not [m for m in value.split(",") if m.strip()]:
        return "needs at least one e-mail: someone must approve what reaches prod"
    return check_members(value)


def check_pattern(pattern: re.Pattern[str], rule: str):
    return lambda value: None if pattern.match(value) else rule


def check_resource_group(value: str) -> str | None:
    if not RESOURCE_GROUP.match(value) or value.endswith("."):
        return "use 1-90 letters, digits, '-', '_', '.', '(' or ')', not ending with a period"
    return None


def check_vm_size(value: str) -> str | None:
    match = VM_SIZE.match(value)
    if not match or match["family"] not in VM_FAMILIES:
        return (
            "must be an Azure VM size name such as Standard_DS3_v2 or Standard_NC6s_v3 "
            "(Standard_, a VM family, vCPUs, feature letters, optional _accelerator and _vN)"
        )
    return None


def check_combination(answers: dict) -> tuple[str, object, str] | None:
    if answers["include_ab_testing"] and answers["deployment"] != "online":
        return (
            "include_ab_testing",
            answers["include_ab_testing"],
            "the A/B-testing phase splits traffic between the blue and green deployments of an "
            "online endpoint: choose deployment=online, or answer no to A/B testing",
        )
    return None


def field_checks(answers: dict, naming) -> dict:
    """field -> check(value as text), in prompt order."""
    checks = {
        "project_name": lambda v: check_text(v, 128),
        "project_slug": check_slug,
        "package_name": check_package,
        "description": lambda v: check_text(v, 500, multiline=True),
        "author_name": lambda v: check_text(v, 100),
        "author_email": check_pattern(EMAIL, "must be an e-mail address like name@example.com"),
        "ado_org_url": naming.check_org_url,
        "ado_project": naming.check_project_name,
        "ado_team": naming.check_team_name,
        "sprint_length_weeks": lambda v: check_int(v, 1, 4),
        "sprint_count": lambda v: check_int(v, 1, 26),
        "first_sprint_start": check_start_date,
        "team_members": check_members,
        "azure_subscription_id": check_pattern(
            GUID, "must be a subscription id (GUID, 8-4-4-4-12 hexadecimal digits)"
        ),
        "azure_resource_group": check_resource_group,
        "aml_workspace": check_pattern(
            WORKSPACE,
            "AzureML workspace names have 3-33 letters, digits, '-' or '_', "
            "starting with a letter or digit",
        ),
        "aml_compute_name": check_pattern(
            COMPUTE,
            "AzureML compute names have 2-16 letters, digits or hyphens, start with a letter "
            "and do not end with a hyphen",
        ),
        "aml_vm_size": check_vm_size,
    }
    if answers.get("deployment") != "none":
        # The endpoint name is only used (and so only checked) when there is an endpoint.
        checks["aml_endpoint_name"] = check_pattern(
            ENDPOINT,
            "AzureML endpoint names have 3-32 letters, digits or hyphens, start with a letter "
            "and do not end with a hyphen (they must be unique in the Azure region)",
        )
        # Approvers gate the prod releases: at least one, each an e-mail, each once.
        checks["release_approvers"] = check_approvers
    return checks


def single_line_problem(field: str, value: object) -> str | None:
    """Every answer but the description is one line: a line break in a URL, a name or an id
    would split the YAML, TOML or pipeline line it is written into."""
    if field == "description" or not isinstance(value, str):
        return None
    if "\n" in value or "\r" in value or "\t" in value:
        return SINGLE_LINE
    return None


def problems(answers: dict, naming) -> list[tuple[str, object, str]]:
    """Every invalid answer as (field, value, rule), in prompt order."""
    found = []
    for field, check in field_checks(answers, naming).items():
        value = answers[field]
        text = value if isinstance(value, str) else str(value)
        rule = single_line_problem(field, value) or check(text)
        if rule:
            found.append((field, value, rule))
    if not found:
        # The project slug names the sprints' iteration folder on the board.
        rule = naming.check_node_name(answers["project_slug"])
        if rule:
            found.append(("project_slug", answers["project_slug"], rule))
    combination = check_combination(answers)
    if combination:
        found.append(combination)
    return found
