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
import shutil
import subprocess
import sys
from pathlib import Path

# Rendered by cookiecutter as JSON text (JSON's true/false are not Python).
CREATE_NOW = json.loads(r'''{{ cookiecutter.create_backlog_now | tojson }}''')
ORG_URL = json.loads(r'''{{ cookiecutter.ado_org_url | tojson }}''')
AUTHOR = json.loads(r'''{{ [cookiecutter.author_name, cookiecutter.author_email] | tojson }}''')
ANSWERS = json.loads(r'''{{ cookiecutter | tojson }}''')  # noqa: E501 - one rendered line
TEMPLATE_DIR = json.loads(r'''{{ template_dir() | tojson }}''')
PLACEHOLDER_ORG = "https://dev.azure.com/your-organization"
PLAN_FILE = "backlog/plan.md"
APPLY = "python -m backlog apply"


def run_backlog(*args: str) -> int:
    """Run ``python -m backlog ARGS`` in this interpreter; any failure becomes an exit code."""
    # The tool ships in the project's tools/ folder (managed by the template); the hook runs
    # in the project's root, like `make` and the pipelines.
    sys.path.insert(0, str(Path.cwd() / "tools"))
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


def git(root: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["git", *args], cwd=root, env=env, capture_output=True, text=True, check=False
    )


def first_commit(root: Path) -> str:
    """Give the new project its own repository, with the baked files as its first commit: git
    hooks (pre-commit) then land in this project, not in whatever repository the bake ran
    inside, and template updates later have a base to merge against. The author's answers
    sign the commit only when git has no identity configured. Returns what to tell the user."""
    if shutil.which("git") is None:
        return "git not found: run `git init` in the project before `make setup`."
    if (root / ".git").exists():
        return "The project already has a git repository: nothing committed."
    if git(root, "init", "--quiet", "--initial-branch=main").returncode != 0:
        return "git init failed: run `git init` in the project before `make setup`."
    env = dict(os.environ)
    if not git(root, "config", "user.email").stdout.strip():
        name, email = AUTHOR
        env.update(GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL=email)
        env.update(GIT_COMMITTER_NAME=name, GIT_COMMITTER_EMAIL=email)
    git(root, "add", "--all")
    message = "Baked from the ML template"
    done = git(root, "commit", "--quiet", "--no-verify", "-m", message, env=env)
    if done.returncode != 0:
        return f"git commit failed ({done.stderr.strip()[:200]}): commit the project yourself."
    return "A git repository was created with the baked project as its first commit (main)."


def template_source(given: str, template_dir: Path) -> str:
    """Where teammates and `cruft update` find the template: a URL as given, else the local
    clone's `origin` remote (a path on this machine means nothing on the next), else the
    clone's absolute path."""
    if "://" in given or given.startswith(("gh:", "gl:", "bb:", "git@", "git+")):
        return given
    origin = git(template_dir, "remote", "get-url", "origin")
    return origin.stdout.strip() if origin.returncode == 0 else str(template_dir)


def record_template(root: Path, answers: dict, template_dir: Path) -> str:
    """Write .cruft.json (template, commit, answers), the record `cruft check` and `cruft
    update` read, so a plain `cookiecutter` bake can take template fixes like a `cruft create`
    one. Returns what to tell the user."""
    if shutil.which("git") is None:
        return "git not found: the template version is not recorded (.cruft.json)."
    head = git(template_dir, "rev-parse", "HEAD")
    if head.returncode != 0:
        return "The template is not a git checkout: no .cruft.json, so no `cruft update` later."
    source = template_source(str(answers.get("_template", template_dir)), template_dir)
    # Answers only: paths of this machine (_output_dir, _repo_dir) mean nothing elsewhere.
    context = {k: v for k, v in answers.items() if not k.startswith("_")}
    context.update(_template=source, _commit=head.stdout.strip())
    state = {
        "template": source,
        "commit": head.stdout.strip(),
        "checkout": answers.get("_checkout"),
        "context": {"cookiecutter": context},
        "directory": None,
    }
    (root / ".cruft.json").write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    dirty = git(template_dir, "status", "--porcelain", "--untracked-files=no").stdout.strip()
    note = " (the template had uncommitted changes: updates diff from that commit)" if dirty else ""
    return f"Template {source} at {head.stdout.strip()[:12]} recorded in .cruft.json{note}."


def main() -> int:
    root = Path.cwd()
    remove_empty_folders(root)
    if run_backlog("export", "--format", "md", "--output", PLAN_FILE) == 0:
        print(f"Azure Boards plan written to {PLAN_FILE} (python -m backlog plan shows it).")
    if "_commit" not in ANSWERS:
        # cruft renders the template itself (with _commit set) to diff two versions, and
        # writes .cruft.json on its own: a repository or a record there would end up in the diff.
        print(record_template(root, ANSWERS, Path(TEMPLATE_DIR)))
        print(first_commit(root))
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
