"""The Azure Pipelines schema, read the way Azure reads YAML, with findings a person can act on.

check-jsonschema vendors Microsoft's schema. Used as it is, it crashes under the default ECMA
regex engine, flags every YAML bool and int (Azure sees all scalars as strings), cannot see
through ``${{ if/each }}`` blocks, and for a typo deep in a step reports "not valid under any
of the given schemas". ``build_validator`` and ``schema_errors`` fix each of those: Python
regular expressions, scalars turned into the strings Azure sees, check-jsonschema's own
azure-pipelines transform, and a search through failed anyOf branches for the one the
document came closest to.
"""

from __future__ import annotations

import re
from typing import Any

from pipeline_yaml import is_expression

# Tasks newer than the vendored schema snapshot. Listed with their documented inputs so they
# are validated as strictly as the tasks the schema knows.
SUPPLEMENT_TASKS = {
    "PublishCodeCoverageResults@2": {
        "properties": {
            "summaryFileLocation": {"type": "string"},
            "pathToSources": {"type": "string"},
            "failIfCoverageEmpty": {"type": "boolean"},
        },
        "required": ["summaryFileLocation"],
        "additionalProperties": False,
    },
}


class MissingToolError(RuntimeError):
    """The dev extra is not installed."""


def is_dynamic(value: Any) -> bool:
    return isinstance(value, str) and any(m in value for m in ("${{", "$[", "$("))


def build_validator():
    """A Draft-7 validator for the vendored schema with Azure's reading of scalars."""
    try:
        import jsonschema
        from check_jsonschema.builtin_schemas import get_builtin_schema
    except ImportError as error:
        raise MissingToolError(
            "validate_pipelines needs check-jsonschema: pip install -e '.[dev]'"
        ) from error

    schema = get_builtin_schema("vendor.azure-pipelines")
    task_variants = schema["definitions"]["task"]["anyOf"]
    for name, inputs in SUPPLEMENT_TASKS.items():
        if not any(name in str(v.get("properties", {}).get("task")) for v in task_variants):
            task_variants.append(
                {
                    "properties": {
                        "task": {"pattern": f"^{re.escape(name)}$"},
                        "inputs": {"type": "object", **inputs},
                    },
                    "required": ["task", "inputs"],
                }
            )

    base = jsonschema.Draft7Validator.TYPE_CHECKER

    def boolean(_, value):
        return isinstance(value, str) and (value in {"true", "false"} or is_dynamic(value))

    def number(_, value):
        return isinstance(value, str) and (
            bool(re.fullmatch(r"-?\d+(\.\d+)?", value)) or is_dynamic(value)
        )

    checker = base.redefine_many({"boolean": boolean, "number": number, "integer": number})

    def only_static(keyword):
        # A value computed at compile time cannot be checked against a list or pattern offline.
        def check(validator, expected, instance, schema_part):
            if not is_dynamic(instance):
                yield from keyword(validator, expected, instance, schema_part)

        return check

    validator_class = jsonschema.validators.extend(
        jsonschema.Draft7Validator,
        validators={
            "enum": only_static(jsonschema._keywords.enum),
            "pattern": only_static(jsonschema._keywords.pattern),
        },
        type_checker=checker,
    )
    return validator_class(schema)


def as_azure_reads_it(node: Any) -> Any:
    """Every scalar as the string Azure Pipelines sees (``true`` stays ``true``, not ``True``)."""
    if isinstance(node, dict):
        return {str(k): as_azure_reads_it(v) for k, v in node.items()}
    if isinstance(node, list):
        # A bare "- ${{ step }}" item is filled in at compile time from a parameter; what is
        # inserted is checked where it is written (the caller's file), so it is left out here.
        return [as_azure_reads_it(item) for item in node if not is_expression(item)]
    if isinstance(node, bool):
        return "true" if node else "false"
    if node is None:
        return ""
    return str(node)


def json_path(parts) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)


def schema_errors(document: Any, validator, part: dict[str, Any] | None = None) -> list[str]:
    """Schema findings for one document, most specific first (one line each)."""
    from check_jsonschema.transforms.azure_pipelines import traverse_data

    data = traverse_data(as_azure_reads_it(document))
    if part is None:
        errors = list(validator.iter_errors(data))
    else:
        root = {"definitions": validator.schema["definitions"], **part}
        errors = list(validator.evolve(schema=root).iter_errors(data))
    if not errors:
        return []
    # Not jsonschema's best_match(): for a misspelt step key it lands in "task is required".
    best = _pick(errors)
    where = list(best.absolute_path)
    for depth in range(len(where), -1, -1):  # the nearest enclosing task step, if any
        step = _at(data, where[:depth])
        if isinstance(step, dict) and isinstance(step.get("task"), str):
            if step["task"].lower() not in known_tasks(validator.schema):
                return [f"{json_path(where[:depth])}.task: unknown task {step['task']!r}"]
            return task_errors(step, validator, where[:depth]) or [
                f"{json_path(where)}: {_short(best.message)}"
            ]
    return [f"{json_path(where)}: {_short(best.message)}"]


def task_errors(step: dict[str, Any], validator, where) -> list[str]:
    """The findings for a task step, judged against its own task's definition only (the
    generic anyOf over every task otherwise reports another task's rules)."""
    findings = []
    for variant in validator.schema["definitions"]["task"]["anyOf"]:
        pattern = variant.get("properties", {}).get("task", {}).get("pattern", "")
        if pattern and re.fullmatch(pattern, step["task"], re.IGNORECASE):
            root = {"definitions": validator.schema["definitions"], **variant}
            findings.append(list(validator.evolve(schema=root).iter_errors(step)))
    errors = min(findings, key=len) if findings else []
    if not errors:
        return []  # the task's own rules hold: the problem is in the step's common keys
    best = _pick(errors)
    return [f"{json_path(list(where) + list(best.absolute_path))}: {_short(best.message)}"]


PREFERRED = ("additionalProperties", "required", "enum", "pattern", "type")


def _reach(error) -> int:
    """How deep into the document this error, or any branch below it, points."""
    return max([len(error.absolute_path)] + [_reach(e) for e in error.context])


def _leaves(error) -> int:
    return 1 if not error.context else sum(_leaves(e) for e in error.context)


def _pick(errors):
    """The most telling error. Among the branches of a failed anyOf/oneOf, follow the one the
    document came closest to (a branch for another type of value last, then the one whose
    complaints reach deepest, then the one with the fewest), and in it prefer the deepest
    place, then an unexpected or missing key over a wrong value."""

    def rank(error):
        kind = PREFERRED.index(error.validator) if error.validator in PREFERRED else 9
        return (-_reach(error), kind)

    error = min(errors, key=rank)
    while error.context:
        branches: dict[Any, list] = {}
        for candidate in error.context:
            branches.setdefault(candidate.relative_schema_path[0], []).append(candidate)
        level = len(error.absolute_path)

        def closeness(group, level=level):
            other_type = all(e.validator == "type" and len(e.absolute_path) == level for e in group)
            return (other_type, -max(_reach(e) for e in group), sum(_leaves(e) for e in group))

        error = min(min(branches.values(), key=closeness), key=rank)
    return error


def _at(data: Any, path: list[Any]) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _short(message: str, limit: int = 160) -> str:
    return message if len(message) <= limit else message[: limit - 3] + "..."


def known_tasks(schema: dict[str, Any]) -> set[str]:
    """Lower-case ``Name@N`` of every task the schema (and SUPPLEMENT_TASKS) knows."""
    names = set()
    for variant in schema["definitions"]["task"]["anyOf"]:
        pattern = str(variant.get("properties", {}).get("task", {}).get("pattern", ""))
        names.add(pattern.strip("^$").replace("\\", "").lower())
    return names
