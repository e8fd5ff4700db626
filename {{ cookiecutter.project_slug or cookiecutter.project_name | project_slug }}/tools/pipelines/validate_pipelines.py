"""Validate every Azure Pipelines YAML file of this repository offline (`make validate-pipelines`).

    python tools/pipelines/validate_pipelines.py [FILE ...]

Guarantee: exit 0 only when every file (default: all of pipelines/**/*.yml) passes

1. the Azure Pipelines schema that check-jsonschema vendors from Microsoft, read as Azure reads
   YAML (pipeline_schema.py: every scalar as the string Azure sees, ``${{ if/each }}`` blocks
   unnested by check-jsonschema's azure-pipelines transform, Python regular expressions since
   the default ECMA engine crashes on the schema's patterns); templates are checked against
   the schema's template definitions, and each task step against its own task's inputs;
2. template references: the file exists, every parameter passed is declared by the template,
   every declared parameter without a default is passed, typed values fit;
3. this project's rules: no ``continueOnError`` and no ``--exit-zero`` (a gate that cannot fail
   is no gate), no retired agent image, agent image and Python version only in
   templates/variables/versions.yml, multi-line scripts start with ``set -euo pipefail``
   (Azure runs ``script:`` with plain bash, so a failing line in the middle is ignored).

Otherwise it prints one line per problem (file, place, rule) and exits 1; 2 when the dev extra
(check-jsonschema) is missing.
"""

from __future__ import annotations

import argparse
import glob
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipeline_schema import MissingToolError, build_validator, is_dynamic, json_path, schema_errors
from pipeline_steps import Context, TemplateError, bind_parameters, declared_parameters, expand
from pipeline_yaml import ExpressionError, PipelineYamlError, is_expression, load

# tools/pipelines/ -> the project root -> its pipelines/ folder (the YAML the team owns)
PIPELINES = Path(__file__).resolve().parents[2] / "pipelines"
VERSIONS_FILE = ("templates", "variables", "versions.yml")

# Microsoft-hosted images that are retired or being retired; see the "Microsoft-hosted agents"
# page. Matching is case-insensitive.
RETIRED_IMAGE = re.compile(
    r"^(ubuntu-(1[0-9]|20)\.04|ubuntu-16|vs20\d\d-win\d+|win1803|windows-20(16|19)"
    r"|macos-(10\.\d+|11|12|13))$",
    re.IGNORECASE,
)
SCRIPT_KEYS = ("script", "bash")


def schema_for(file: Path, document: Any) -> dict[str, Any] | None:
    """The part of the schema a file must match: the whole pipeline for the top-level files,
    the matching template definition for files under templates/ and environments/."""
    folder = file.resolve().parent
    is_template = folder.name == "environments" or folder.parent.name == "templates"
    if not is_template or not isinstance(document, dict):
        return None
    for section in ("stages", "jobs", "steps", "variables"):
        if section in document:
            return {"$ref": f"#/definitions/{section}Template"}
    return None


def walk(node: Any, where: tuple = ()) -> Iterator[tuple[tuple, Any, Any]]:
    """(path, key, value) for every mapping entry below ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield where + (key,), key, value
            yield from walk(value, where + (key,))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from walk(item, where + (index,))


def template_errors(file: Path, document: Any) -> list[str]:
    """Problems with the ``template:`` references of one file (missing, bad parameters)."""
    problems = []
    own = {name: spec.get("default") for name, spec in declared_parameters(document or {}).items()}
    ctx = Context(file.resolve(), {"parameters": own, "variables": {}})
    for where, key, value in walk(document):
        if key != "template" or not isinstance(value, str) or "@" in value:
            continue
        if "${{" in value:
            pattern = str(file.parent / re.sub(r"\$\{\{.*?\}\}", "*", value))
            if not glob.glob(pattern):
                problems.append(f"{json_path(where)}: no file matches the template path {value}")
            continue
        target = (file.parent / value).resolve()
        if not target.is_file():
            problems.append(f"{json_path(where)}: the template {value} does not exist")
            continue
        passed = _passed_parameters(_parent(document, where).get("parameters") or {}, ctx)
        try:
            bind_parameters(target, load(target) or {}, passed)
        except (TemplateError, PipelineYamlError, ExpressionError) as error:
            problems.append(f"{json_path(where)}: {error}")
    return problems


def _passed_parameters(mapping: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """The parameters a reference passes, as far as they can be known without running it."""
    try:
        return expand(mapping, ctx)  # if/else on the caller's own parameters: their defaults
    except (ExpressionError, TemplateError):
        pass  # a loop variable, or a nested reference (checked where the walk reaches it)
    passed: dict[str, Any] = {}
    for key, value in mapping.items():
        if is_expression(key):
            # A branch on a loop variable: whichever is taken, its names must be declared.
            for name, given in (value if isinstance(value, dict) else {}).items():
                passed.setdefault(name, given)
            continue
        try:
            passed[key] = expand(value, ctx)
        except (ExpressionError, TemplateError):
            passed[key] = value  # only known while the loop runs, or checked on its own
    return passed


def _parent(document: Any, where: tuple) -> dict[str, Any]:
    node = document
    for part in where[:-1]:
        node = node[part]
    return node


def rule_errors(file: Path, document: Any) -> list[str]:
    """This project's own rules (see the module docstring, point 3)."""
    problems = []
    is_versions = file.resolve().parts[-3:] == VERSIONS_FILE
    for where, key, value in walk(document):
        place = json_path(where)
        if key == "continueOnError" and value not in (False, "false", "False"):
            problems.append(f"{place}: continueOnError hides a failing step; let the gate fail")
        if key in SCRIPT_KEYS + ("inlineScript",) and isinstance(value, str):
            if "--exit-zero" in value:
                problems.append(f"{place}: --exit-zero turns a failing check into a pass")
            lines = [
                ln
                for ln in value.strip().splitlines()
                if ln.strip() and not ln.strip().startswith("#")
            ]
            if len(lines) > 1 and not lines[0].startswith("set -euo pipefail"):
                problems.append(
                    f"{place}: a multi-line script must start with 'set -euo pipefail' "
                    "(Azure runs it with plain bash: a failing line would not stop it)"
                )
        if key in {"vmImage", "pythonVersion", "versionSpec"} and isinstance(value, str):
            if RETIRED_IMAGE.match(value):
                problems.append(f"{place}: {value} is a retired agent image; use ubuntu-24.04")
            if not is_versions and not is_dynamic(value):
                problems.append(
                    f"{place}: {key} is pinned in templates/variables/versions.yml; "
                    f"use $({'vmImage' if key == 'vmImage' else 'pythonVersion'}) here"
                )
    if is_versions:
        for entry in (document or {}).get("variables") or []:
            image = entry.get("value") if isinstance(entry, dict) else None
            if isinstance(image, str) and RETIRED_IMAGE.match(image):
                problems.append(f"$.variables: {image} is a retired agent image; use ubuntu-24.04")
    return problems


def validate_file(file: Path, validator) -> list[str]:
    """Every problem of one file, each as ``file: place: rule``."""
    try:
        document = load(file)
    except PipelineYamlError as error:
        return [str(error)]
    problems = schema_errors(document, validator, schema_for(file, document))
    problems += template_errors(file, document)
    problems += rule_errors(file, document)
    return [f"{_shown(file)}: {problem}" for problem in problems]


def _shown(file: Path) -> str:
    try:
        return str(file.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(file)


def default_files() -> list[Path]:
    return sorted(PIPELINES.rglob("*.yml"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help="default: every pipelines/**/*.yml")
    args = parser.parse_args(argv)
    try:
        validator = build_validator()
    except MissingToolError as error:
        print(error, file=sys.stderr)
        return 2
    files = args.files or default_files()
    failed = 0
    for file in files:
        problems = validate_file(file, validator)
        failed += bool(problems)
        for problem in problems:
            print(problem)
        if not problems:
            print(f"ok {_shown(file)}")
    print(f"{len(files) - failed} of {len(files)} pipeline files valid")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
