"""The top-level import names of everything a generated project installs, read from the
environment the template's tests run in (it holds the generated project's core and every
extra). ``hooks/dependency_modules.txt`` must list them all, so a package name that would
shadow one of them is refused at bake time.

Run ``python tests/dependency_names.py --write`` to refresh the file after changing the
generated project's dependencies.
"""

from __future__ import annotations

import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from bakery import PROJECT_DIR
from cookiecutter.environment import StrictEnvironment
from cookiecutter.generate import generate_context
from cookiecutter.prompt import prompt_for_config
from packaging.requirements import Requirement

TEMPLATE = Path(__file__).resolve().parents[1]
GENERATED_PYPROJECT = TEMPLATE / PROJECT_DIR / "pyproject.toml"
LIST_FILE = TEMPLATE / "hooks" / "dependency_modules.txt"
PACKAGE = re.compile(r"^[a-z][a-z0-9_]*$")
# Installed by every venv or by the tools a project runs through (pip, pre-commit, cookiecutter
# for `cruft update`), though no pyproject line names them.
ALWAYS = ("pip", "setuptools", "cookiecutter", "cruft")
# Import names the list keeps although this environment may not install them: the generated
# dev extra's pre-commit and what it brings, and the root folders the project imports from.
NOT_INSTALLED_HERE = (
    "pre_commit",
    "virtualenv",
    "nodeenv",
    "identify",
    "cfgv",
    "distlib",
    "filelock",
    "cruft",
    "typer",
    "src",
    "tests",
)


def requirement_lines() -> list[str]:
    """The generated project's core dependencies and every extra, rendered with the defaults."""
    sys.path.insert(0, str(TEMPLATE))  # cookiecutter.json names the template's Jinja extension
    context = generate_context(context_file=str(TEMPLATE / "cookiecutter.json"))
    context = {"cookiecutter": prompt_for_config(context, no_input=True)}
    env = StrictEnvironment(context=context, keep_trailing_newline=True)
    text = env.from_string(GENERATED_PYPROJECT.read_text(encoding="utf-8")).render(**context)
    project = tomllib.loads(text)["project"]
    lines = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        lines += extra
    return lines


def closure(lines: list[str]) -> set[str]:
    """Names of every installed distribution those requirements pull in, transitively."""
    seen: set[str] = set()
    todo = [Requirement(line) for line in lines] + [Requirement(name) for name in ALWAYS]
    while todo:
        req = todo.pop()
        name = req.name.lower().replace("_", "-")
        if name in seen:
            continue
        try:
            dist = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            continue  # an optional platform-only dependency, not installed here
        seen.add(name)
        for sub in dist.requires or []:
            sub_req = Requirement(sub)
            marker = sub_req.marker
            wanted = marker is None or any(
                marker.evaluate({"extra": extra}) for extra in ("", *req.extras)
            )
            if wanted:
                todo.append(sub_req)
    return seen


def top_level_names(distribution: str) -> set[str]:
    dist = metadata.distribution(distribution)
    listed = dist.read_text("top_level.txt")
    names = set(listed.split()) if listed else set()
    for file in dist.files or []:
        first = file.parts[0]
        if first.endswith((".dist-info", ".data")) or first in {"..", "bin"}:
            continue
        if len(file.parts) == 1:
            stem = first.split(".")[0]
            if first.endswith((".py", ".so", ".pyd")):
                names.add(stem)
        else:
            names.add(first)
    return {n.replace("/", "") for n in names if PACKAGE.match(n)}


def installed_dependency_modules() -> set[str]:
    names: set[str] = set()
    for dist in closure(requirement_lines()):
        names |= top_level_names(dist)
    return names


if __name__ == "__main__":
    if "--write" in sys.argv:
        header = (
            "# Top-level import names of every distribution a generated project installs\n"
            "# (core + all extras, transitive).\n"
            "# Regenerate: python tests/dependency_names.py --write\n"
        )
        names = sorted(installed_dependency_modules() | set(NOT_INSTALLED_HERE))
        LIST_FILE.write_text(header + "\n".join(names) + "\n", encoding="utf-8")
        print(f"{len(names)} names written to {LIST_FILE}")
    else:
        print("\n".join(sorted(installed_dependency_modules())))
