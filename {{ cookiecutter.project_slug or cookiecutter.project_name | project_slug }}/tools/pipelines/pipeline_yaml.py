"""Read Azure Pipelines YAML as Azure Pipelines reads it, and evaluate template expressions.

PyYAML follows YAML 1.1, where ``on``, ``yes``, ``no`` and ``off`` are booleans; Azure Pipelines
does not (``on:`` under a deployment strategy is a key, ``yes`` is a string). ``load`` only
turns ``true``/``false`` into booleans, and refuses a mapping that repeats a key (Azure refuses
it too, while PyYAML silently keeps the last value).

``evaluate`` understands the part of the compile-time expression language (``${{ }}``) that
this repository's pipelines use: literals, ``parameters.x``/``variables.x``/loop variables
with dotted access, and the functions in ``FUNCTIONS``. Anything else raises
``ExpressionError`` instead of guessing.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
BOOL_TAG = "tag:yaml.org,2002:bool"


class PipelineYamlError(ValueError):
    """A pipeline file that Azure Pipelines would refuse to read."""


class ExpressionError(ValueError):
    """A template expression outside the supported subset, or one that cannot be evaluated."""


# libyaml's parser when PyYAML was built with it (the wheels are): several times faster, and
# the pipelines' templates are read hundreds of times per test run.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class PipelineLoader(_SAFE_LOADER):
    """SafeLoader with YAML 1.2 booleans and duplicate keys treated as errors."""

    def construct_mapping(self, node, deep=False):
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise PipelineYamlError(
                    f"line {key_node.start_mark.line + 1}: the key {key!r} appears twice "
                    "in one mapping (Azure Pipelines refuses duplicate keys)"
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


PipelineLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != BOOL_TAG]
    for first, resolvers in _SAFE_LOADER.yaml_implicit_resolvers.items()
}
PipelineLoader.add_implicit_resolver(
    BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load(path: Path) -> Any:
    """The YAML document in ``path``; ``PipelineYamlError`` names the file and the problem."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=PipelineLoader)  # noqa: S506 - SafeLoader subclass
    except PipelineYamlError as error:
        raise PipelineYamlError(f"{path}: {error}") from None
    except yaml.YAMLError as error:
        raise PipelineYamlError(f"{path}: not valid YAML: {error}") from None


def is_expression(text: Any) -> bool:
    """True when ``text`` is one whole ``${{ ... }}`` expression (a key or a value)."""
    return isinstance(text, str) and text.startswith("${{") and text.rstrip().endswith("}}")


# --- a small evaluator for compile-time expressions ---------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<number>-?\d+(?:\.\d+)?)"
    r"|(?P<name>[A-Za-z_][\w.\-]*)|(?P<punct>[(),\[\]]))"
)


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ExpressionError(f"cannot read the expression {text!r} at position {pos}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


def truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in {"", "false"}
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value != 0
    return value is not None and value is not False


def _equal(left: Any, right: Any) -> bool:
    # Azure converts the right operand to the left one's type; strings compare ignoring case.
    if isinstance(left, bool):
        return left == truthy(right) if isinstance(right, bool | str) else False
    if isinstance(left, int | float):
        try:
            return float(left) == float(right)
        except (TypeError, ValueError):
            return False
    if isinstance(left, str) and isinstance(right, str | int | float | bool):
        rendered = str(right).lower() if isinstance(right, bool) else str(right)
        return left.lower() == rendered.lower()
    return left == right


FUNCTIONS = {
    "eq": lambda a, b: _equal(a, b),
    "ne": lambda a, b: not _equal(a, b),
    "not": lambda a: not truthy(a),
    "and": lambda *args: all(truthy(a) for a in args),
    "or": lambda *args: any(truthy(a) for a in args),
    "in": lambda needle, *hay: any(_equal(needle, h) for h in hay),
    "notIn": lambda needle, *hay: not any(_equal(needle, h) for h in hay),
    "contains": lambda text, part: str(part).lower() in str(text).lower(),
    "startsWith": lambda text, part: str(text).lower().startswith(str(part).lower()),
    "endsWith": lambda text, part: str(text).lower().endswith(str(part).lower()),
    "coalesce": lambda *args: next((a for a in args if a not in (None, "")), None),
    "length": lambda value: len(value),
    "lower": lambda value: str(value).lower(),
    "upper": lambda value: str(value).upper(),
    "format": lambda pattern, *args: re.sub(
        r"\{(\d+)\}", lambda m: str(args[int(m.group(1))]), str(pattern)
    ),
}


def _lookup(path: str, scope: dict[str, Any]) -> Any:
    head, *rest = path.split(".")
    if head not in scope:
        raise ExpressionError(f"{path!r} is not known at compile time here")
    value = scope[head]
    for part in rest:
        value = value.get(part) if isinstance(value, dict) else None
    return value


def evaluate(expression: str, scope: dict[str, Any]) -> Any:
    """The value of a compile-time expression (without ``${{ }}``) in ``scope``.

    ``scope`` maps ``parameters``, ``variables`` and loop variable names to their values.
    """
    tokens = _tokens(expression)
    value, end = _parse(tokens, 0, scope)
    if end != len(tokens):
        raise ExpressionError(f"unexpected text after the expression {expression!r}")
    return value


def _parse(tokens: list[tuple[str, str]], pos: int, scope: dict[str, Any]) -> tuple[Any, int]:
    if pos >= len(tokens):
        raise ExpressionError("the expression ends too early")
    kind, text = tokens[pos]
    if kind == "string":
        return text[1:-1].replace("''", "'"), pos + 1
    if kind == "number":
        return (float(text) if "." in text else int(text)), pos + 1
    if kind != "name":
        raise ExpressionError(f"unexpected {text!r} in an expression")
    if pos + 1 < len(tokens) and tokens[pos + 1][1] == "(":
        if text not in FUNCTIONS:
            raise ExpressionError(f"the function {text}() is not supported by this checker")
        args, pos = [], pos + 2
        while pos < len(tokens) and tokens[pos][1] != ")":
            arg, pos = _parse(tokens, pos, scope)
            args.append(arg)
            if pos < len(tokens) and tokens[pos][1] == ",":
                pos += 1
        if pos >= len(tokens):
            raise ExpressionError(f"{text}( is never closed")
        return FUNCTIONS[text](*args), pos + 1
    if text.lower() in {"true", "false"}:
        return text.lower() == "true", pos + 1
    if text.lower() == "null":
        return None, pos + 1
    if pos + 1 < len(tokens) and tokens[pos + 1][1] == "[":
        raise ExpressionError(f"index syntax {text}[...] is not supported by this checker")
    return _lookup(text, scope), pos + 1


def render(text: str, scope: dict[str, Any]) -> Any:
    """``text`` with every ``${{ expr }}`` replaced by its value.

    A string that is exactly one expression keeps the value's type (a list stays a list), as
    Azure Pipelines does when a parameter holding steps or objects is inserted.
    """
    whole = EXPRESSION.fullmatch(text.strip())
    if whole and text.count("${{") == 1:
        return evaluate(whole.group(1), scope)

    def _one(match: re.Match[str]) -> str:
        value = evaluate(match.group(1), scope)
        if isinstance(value, bool):
            return "True" if value else "False"
        return "" if value is None else str(value)

    return EXPRESSION.sub(_one, text)
