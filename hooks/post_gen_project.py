"""After baking: write the Azure Boards plan, and create the backlog only when asked to.

The work is done by the generated project's own ``backlog`` tool (tested there, re-runnable
later); this hook only decides what to call. It never fails the bake: a Boards problem is
printed with the command to retry, and the generated project is always kept. No secret is
rendered into this file: credentials come from the environment at run time.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

# Rendered by cookiecutter as JSON text (JSON's true/false are not Python).
CREATE_NOW = json.loads(r'''{{ cookiecutter.create_backlog_now | tojson }}''')
ORG_URL = json.loads(r'''{{ cookiecutter.ado_org_url | tojson }}''')
PLACEHOLDER_ORG = "https://dev.azure.com/your-organization"
PLAN_FILE = "backlog/plan.md"
APPLY = "python -m backlog apply"


def run_backlog(*args: str) -> int:
    """Run ``python -m backlog ARGS`` in this interpreter; any failure becomes an exit code."""
    try:
        from backlog.cli import main

        return int(main(list(args)) or 0)
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else 1
    except Exception as error:  # noqa: BLE001 - the bake must survive any Boards problem
        print(f"backlog: {type(error).__name__}: {error}", file=sys.stderr)
        return 1


def remove_empty_folders(root: Path) -> None:
    """Cookiecutter cannot skip a folder whose name renders empty (cookiecutter#1518), so a
    conditional folder carries its condition on each file's name; a folder left with no file
    is removed here. Nothing that was written is ever deleted."""
    folders = sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: len(p.parts))
    for folder in reversed(folders):
        if not any(folder.iterdir()):
            folder.rmdir()


def main() -> int:
    remove_empty_folders(Path.cwd())
    sys.path.insert(0, str(Path.cwd()))
    if run_backlog("export", "--format", "md", "--output", PLAN_FILE) == 0:
        print(f"Azure Boards plan written to {PLAN_FILE} (python -m backlog plan shows it).")
    if not CREATE_NOW:
        print(f"To create the board later: pip install -e '.[backlog]' && {APPLY}")
        return 0
    if ORG_URL == PLACEHOLDER_ORG:
        print(f"Backlog not created: set organization_url in project.yml, then {APPLY}")
        return 0
    if importlib.util.find_spec("azure.devops") is None:
        print(
            "Backlog not created: cookiecutter's Python lacks the Azure DevOps client. Bake with "
            "`pip install cookiecutter azure-devops azure-identity requests tenacity rich`, "
            f"or later run: pip install -e '.[backlog]' && {APPLY}"
        )
        return 0
    if not os.environ.get("AZURE_DEVOPS_EXT_PAT"):
        print("No AZURE_DEVOPS_EXT_PAT set: trying your Azure login (az login) instead.")
    code = run_backlog("apply", "--yes")
    if code != 0:
        print(f"The project is ready, but the backlog was not fully created. Retry: {APPLY}")
    return 0


if __name__ == "__main__":
    Path(sys.argv[0]).unlink(missing_ok=True)  # cookiecutter leaves rendered hooks behind
    sys.exit(main())
