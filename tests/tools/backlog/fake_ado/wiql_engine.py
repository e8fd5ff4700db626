"""A small WIQL reader for the local server: checks saved queries, runs flat queries.

It understands what WIQL looks like (bracketed field names, single-quoted literals with ``''``
as the escape, macros, ``FROM WorkItems`` / ``FROM WorkItemLinks``, ``MODE (...)``) well enough
to reject what the service rejects: unknown fields, unbalanced quotes or parentheses, unknown
macros. Flat queries with ``=``, ``<>``, ``CONTAINS``, ``UNDER``, ``IN``, ``<``, ``>`` joined by
AND/OR are executed; link queries are only validated (apply never runs one).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

TOKEN = re.compile(
    r"\s*(?:(?P<field>\[[^\]]*\](?:\.\[[^\]]*\])?)|(?P<string>'(?:[^']|'')*')"
    r"|(?P<number>-?\d+(?:\.\d+)?)|(?P<macro>@[A-Za-z]+)|(?P<op><>|>=|<=|=|<|>|\(|\)|,)"
    r"|(?P<word>[A-Za-z_]+))"
)
MACROS = {"@project", "@currentiteration", "@me", "@today"}
KEYWORDS = {
    "select",
    "from",
    "where",
    "and",
    "or",
    "not",
    "order",
    "by",
    "asc",
    "desc",
    "contains",
    "under",
    "in",
    "mode",
    "workitems",
    "workitemlinks",
    "mustcontain",
    "maycontain",
    "doesnotcontain",
    "recursive",
    "words",
    "ever",
    "asof",
    "group",
}


class WiqlError(ValueError):
    pass


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        match = TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise WiqlError(f"TF51006: The query statement is not valid near position {pos}.")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


def validate(text: str, known_fields: frozenset[str]) -> None:
    """Raise WiqlError the way the service answers a bad saved query."""
    tokens = tokenize(text)
    depth = 0
    for kind, value in tokens:
        if kind == "field":
            for part in re.findall(r"\[([^\]]*)\]", value):
                if part in ("Source", "Target"):
                    continue
                if part not in known_fields:
                    raise WiqlError(
                        "TF51005: The query references a field that does not exist. "
                        f"The error is caused by «[{part}]»."
                    )
        elif kind == "macro" and value.lower() not in MACROS:
            raise WiqlError(f"TF51011: The specified macro {value} does not exist.")
        elif kind == "word" and value.lower() not in KEYWORDS:
            raise WiqlError(f"TF51006: The query statement is not valid: unexpected '{value}'.")
        elif value == "(":
            depth += 1
        elif value == ")":
            depth -= 1
            if depth < 0:
                raise WiqlError("TF51006: The query statement has an unbalanced parenthesis.")
    if depth:
        raise WiqlError("TF51006: The query statement has an unbalanced parenthesis.")
    words = [v.lower() for k, v in tokens if k == "word"]
    if not words or words[0] != "select" or "from" not in words:
        raise WiqlError("TF51006: A query must be SELECT ... FROM WorkItems[Links].")


def _literal(token: tuple[str, str], project: str) -> Any:
    kind, value = token
    if kind == "string":
        return value[1:-1].replace("''", "'")
    if kind == "number":
        return float(value)
    if kind == "macro" and value.lower() == "@project":
        return project
    raise WiqlError(f"TF51006: unsupported value {value}")


def compile_where(text: str, project: str) -> Callable[[dict[str, Any]], bool]:
    """A predicate over a work item's fields for a flat ``FROM WorkItems`` query."""
    tokens = tokenize(text)
    lowered = [v.lower() for _, v in tokens]
    if "workitemlinks" in lowered:
        raise WiqlError("the local server runs only flat queries")
    start = lowered.index("where") + 1 if "where" in lowered else len(tokens)
    end = lowered.index("order") if "order" in lowered else len(tokens)
    stream = tokens[start:end]
    pos = 0

    def peek() -> str:
        return stream[pos][1].lower() if pos < len(stream) else ""

    def take() -> tuple[str, str]:
        nonlocal pos
        pos += 1
        return stream[pos - 1]

    def expr() -> Callable[[dict[str, Any]], bool]:
        left = term()
        while peek() == "or":
            take()
            right, before = term(), left
            left = lambda f, a=before, b=right: a(f) or b(f)  # noqa: E731
        return left

    def term() -> Callable[[dict[str, Any]], bool]:
        left = factor()
        while peek() == "and":
            take()
            right, before = factor(), left
            left = lambda f, a=before, b=right: a(f) and b(f)  # noqa: E731
        return left

    def factor() -> Callable[[dict[str, Any]], bool]:
        if peek() == "(":
            take()
            inner = expr()
            take()
            return inner
        field = take()[1].strip("[]")
        op = take()[1].lower()
        if op == "in":
            take()
            values = []
            while peek() != ")":
                token = take()
                if token[1] != ",":
                    values.append(_literal(token, project))
            take()
            return lambda f: str(f.get(field, "")).lower() in {str(v).lower() for v in values}
        value = _literal(take(), project)
        return _compare(field, op, value)

    predicate = expr() if stream else (lambda f: True)
    return predicate


def _compare(field: str, op: str, value: Any) -> Callable[[dict[str, Any]], bool]:
    def run(fields: dict[str, Any]) -> bool:
        have = fields.get(field)
        if op == "contains":
            return str(value).lower() in str(have or "").lower()
        if op == "under":
            text, prefix = str(have or "").lower(), str(value).lower()
            return text == prefix or text.startswith(prefix + "\\")
        if isinstance(value, float):
            try:
                number = float(have)
            except (TypeError, ValueError):
                return False
            return {
                "=": number == value,
                "<>": number != value,
                ">": number > value,
                "<": number < value,
                ">=": number >= value,
                "<=": number <= value,
            }[op]
        equal = str(have or "").lower() == str(value).lower()
        return {"=": equal, "<>": not equal}[op]

    return run
