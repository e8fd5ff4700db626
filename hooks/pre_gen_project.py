"""Check every answer against the rules of the system that will receive it, before any file is
written. On the first problem: one line naming the field, the value and the rule, exit 1, and
cookiecutter removes the (still empty) project folder.

Azure DevOps naming rules are not repeated here: they are loaded from the generated project's
own ``backlog/naming.py`` (one copy of the rules, also used by the backlog validator).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import keyword
import re
import sys
from pathlib import Path

# Rendered by cookiecutter; r''' keeps JSON escapes intact, tojson escapes quotes as \u0027.
ANSWERS = json.loads(r'''{{ cookiecutter | tojson }}''')  # noqa: E501 - one rendered line
TEMPLATE_DIR = json.loads(r'''{{ template_dir() | tojson }}''')

# Modules the generated project imports: a package with one of these names would shadow it.
DEPENDENCY_MODULES = frozenset(
    {
        "alembic", "azure", "backlog", "cookiecutter", "great_expectations", "jinja2",
        "markupsafe", "matplotlib", "mlflow", "msrest", "numpy", "pandas", "pip", "pytest",
        "requests", "rich", "scipy", "setuptools", "skops", "sklearn", "sqlalchemy", "src",
        "tenacity", "tests", "yaml",
    }
)

SLUG = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
PACKAGE = re.compile(r"^[a-z][a-z0-9_]*$")
EMAIL = re.compile(r"^[^@\s,;<>\"']+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")
GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
RESOURCE_GROUP = re.compile(r"^[-\w.()]{1,90}$")
WORKSPACE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,32}$")
COMPUTE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,14}[A-Za-z0-9]$")
ENDPOINT = re.compile(r"^[A-Za-z][A-Za-z0-9-]{1,30}[A-Za-z0-9]$")
VM_SIZE = re.compile(r"^Standard_[A-Za-z0-9_]+$")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # tab and newline are fine in free text


def load_naming_rules():
    """Import the generated project's ``backlog/naming.py`` straight from the template."""
    template_dir = "{% raw %}{{cookiecutter.project_slug}}{% endraw %}"
    path = Path(TEMPLATE_DIR, template_dir, "backlog", "naming.py")
    spec = importlib.util.spec_from_file_location("ml_template_naming", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_slug(value):
    if not SLUG.match(value) or len(value) > 63:
        return "use 1-63 lower-case letters, digits and single hyphens, starting with a letter"
    return None


def check_package(value):
    if not PACKAGE.match(value):
        # AzureML component names (<package>_train) must start with a letter too.
        return "use lower-case letters, digits and underscores, starting with a letter"
    if len(value) > 40:
        return "must be at most 40 characters (it is typed in every import)"
    if keyword.iskeyword(value) or keyword.issoftkeyword(value):
        return "it is a Python keyword"
    if value in sys.stdlib_module_names:
        return "it would shadow the standard-library module of the same name"
    if value in DEPENDENCY_MODULES:
        return "it would shadow a module the project depends on"
    return None


def check_text(value, limit):
    if not value.strip():
        return "must not be empty"
    if len(value) > limit:
        return f"must be at most {limit} characters"
    if CONTROL.search(value):
        return "must not contain control characters"
    return None


def check_int(value, low, high):
    try:
        number = int(str(value).strip())
    except ValueError:
        return f"must be a whole number from {low} to {high}"
    if not low <= number <= high:
        return f"must be from {low} to {high}"
    return None


def check_start_date(value):
    try:
        day = dt.date.fromisoformat(str(value).strip())
    except ValueError:
        return "must be an existing date written YYYY-MM-DD"
    if not 2000 <= day.year <= 2100:
        return "must be a date between the years 2000 and 2100"
    if day.weekday() >= 5:
        return "must be a working day (Monday to Friday): sprints start on a working day"
    return None


def check_members(value):
    members = [m.strip() for m in value.split(",") if m.strip()]
    for member in members:
        if not EMAIL.match(member):
            return f"{member!r} is not an e-mail address (list e-mails separated by commas)"
    if len({m.lower() for m in members}) != len(members):
        return "lists the same person twice"
    return None


def check_pattern(pattern, rule):
    return lambda value: None if pattern.match(value) else rule


def check_resource_group(value):
    if not RESOURCE_GROUP.match(value) or value.endswith("."):
        return "use 1-90 letters, digits, '-', '_', '.', '(' or ')', not ending with a period"
    return None


def check_combination(answers):
    if answers["include_ab_testing"] and answers["deployment"] != "online":
        return (
            "include_ab_testing",
            answers["include_ab_testing"],
            "the A/B-testing phase splits traffic between the blue and green deployments of an "
            "online endpoint: choose deployment=online, or answer no to A/B testing",
        )
    return None


def problems(answers, naming):
    """Every invalid answer as (field, value, rule), in prompt order."""
    checks = {
        "project_name": lambda v: check_text(v, 64),
        "project_slug": check_slug,
        "package_name": check_package,
        "description": lambda v: check_text(v, 500),
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
        "aml_vm_size": check_pattern(VM_SIZE, "must be an Azure VM size like Standard_DS3_v2"),
        "aml_endpoint_name": check_pattern(
            ENDPOINT,
            "AzureML endpoint names have 3-32 letters, digits or hyphens, start with a letter "
            "and do not end with a hyphen (they must be unique in the Azure region)",
        ),
    }
    found = []
    for field, check in checks.items():
        value = answers[field]
        rule = check(value if isinstance(value, str) else str(value))
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


def shown(field, value, naming):
    """The value as it may be printed: a URL never shows credentials typed into it."""
    if field == "ado_org_url":
        value = naming.mask_url(value)
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def main():
    naming = load_naming_rules()
    found = problems(ANSWERS, naming)
    if not found:
        return 0
    field, value, rule = found[0]
    more = ""
    if len(found) > 1:
        more = f" (also invalid: {', '.join(f for f, _, _ in found[1:])})"
    print(f"error: {field}={shown(field, value, naming)}: {rule}{more}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    # Cookiecutter leaves its rendered copy of this hook (every answer in it) in the temp
    # folder; remove it so nothing typed by mistake stays on disk.
    Path(sys.argv[0]).unlink(missing_ok=True)
    sys.exit(main())
