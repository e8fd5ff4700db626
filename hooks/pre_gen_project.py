"""Check every answer against the rules of the system that will receive it, before any file is
written. On the first problem: one line naming the field, the value and the rule, exit 1, and
cookiecutter removes the (still empty) project folder.

The rules live in ``hooks/answer_rules.py`` (shared with the Jinja extension that derives the
defaults) and the Azure DevOps naming rules in the generated project's ``tools/backlog/naming.py``;
this script only loads them, reports, and keeps credentials out of cookiecutter's replay file.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import sys
from pathlib import Path

# Rendered by cookiecutter; r''' keeps JSON escapes intact, tojson escapes quotes as \u0027.
ANSWERS = json.loads(r'''{{ cookiecutter | tojson }}''')  # noqa: E501 - one rendered line
TEMPLATE_DIR = json.loads(r'''{{ template_dir() | tojson }}''')
PROJECT_TEMPLATE = "{% raw %}{{ cookiecutter.project_slug or cookiecutter.project_name | project_slug }}{% endraw %}"


def load(name: str, path: Path):
    """Import a file of the template by its path (a hook cannot import its siblings)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_naming_rules():
    rules = Path(TEMPLATE_DIR, PROJECT_TEMPLATE, "tools", "backlog", "naming.py")
    return load("ml_template_naming", rules)


def load_answer_rules():
    return load("ml_template_answer_rules", Path(TEMPLATE_DIR, "hooks", "answer_rules.py"))


def problems(answers, naming):
    return load_answer_rules().problems(answers, naming)


def shown(field, value, naming):
    """The value as it may be printed: a URL never shows credentials typed into it."""
    if field == "ado_org_url":
        value = naming.mask_url(value)
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def scrub_replay(naming) -> None:
    """Cookiecutter saves the answers to its replay file before this hook runs. A URL refused
    for carrying credentials must not stay there: its credentials are masked in place."""
    url = ANSWERS.get("ado_org_url", "")
    if naming.mask_url(url) == url:
        return
    try:
        from cookiecutter.config import get_user_config

        replay_dir = Path(get_user_config()["replay_dir"])
    except Exception:  # noqa: BLE001 - no readable config: cookiecutter's default folder
        replay_dir = Path.home() / ".cookiecutter_replay"
    for replay in replay_dir.glob("*.json"):
        try:
            saved = json.loads(replay.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        # The answer sits in "cookiecutter" and again in the raw "_cookiecutter" context.
        escaped, mask = (json.dumps(text)[1:-1] for text in (url, naming.mask_url(url)))
        masked = json.loads(json.dumps(saved).replace(escaped, mask))
        if masked != saved:
            replay.write_text(json.dumps(masked, indent=2), encoding="utf-8")


def main():
    naming = load_naming_rules()
    rules = load_answer_rules()
    scrub_replay(naming)
    found = rules.problems(ANSWERS, naming)
    if not found:
        warning = rules.start_date_warning(ANSWERS["first_sprint_start"], dt.date.today())
        if warning:
            print(f"warning: {warning}", file=sys.stderr)
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
