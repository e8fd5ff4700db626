"""A YAML reader for files people edit by hand: it reports instead of guessing.

PyYAML's ``safe_load`` keeps the last of two equal keys without a word and turns ``2025-02-30``
into an exception from deep inside the parser. This loader:

* records every duplicate key with both line numbers (the document still loads, so all
  problems of a file are reported in one run);
* keeps dates as the text the user typed (``schema`` parses them and names the field);
* remembers the line of every mapping key and list item, so messages can point at it.

Standard library and PyYAML only.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class LineMap(dict):
    """A mapping that also knows the 1-based line of itself and of each of its keys."""

    line: int = 0

    def __init__(self) -> None:
        super().__init__()
        self.key_lines: dict[object, int] = {}

    def line_of(self, key: object) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list):
    """A list that also knows the 1-based line of itself and of each item."""

    line: int = 0

    def __init__(self) -> None:
        super().__init__()
        self.item_lines: list[int] = []

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


@dataclass(frozen=True)
class YamlProblem:
    line: int | None
    message: str


# libyaml's parser is about ten times faster; the constructors below are the same either way.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_BaseLoader):
    """SafeLoader without implicit timestamps, with duplicate-key detection and line marks."""


# Drop the implicit timestamp resolver: an unquoted 2025-01-06 stays the string "2025-01-06".
_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> LineMap:
    loader.flatten_mapping(node)  # resolves "<<" merge keys like SafeLoader does
    mapping = LineMap()
    mapping.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            hash(key)
        except TypeError:
            loader.problems.append(YamlProblem(line, "a mapping key must be a plain value"))
            continue
        if key in mapping:
            first = mapping.key_lines[key]
            loader.problems.append(
                YamlProblem(line, f"duplicate key {key!r} (first defined on line {first})")
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines.setdefault(key, line)
    return mapping


def _construct_sequence(loader: _StrictLoader, node: yaml.SequenceNode) -> LineList:
    items = LineList()
    items.line = node.start_mark.line + 1
    for child in node.value:
        items.append(loader.construct_object(child, deep=True))
        items.item_lines.append(child.start_mark.line + 1)
    return items


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load(text: str) -> tuple[object, list[YamlProblem]]:
    """Parse one YAML document. Never raises for bad input: problems come back as a list.

    A syntax error returns ``(None, [problem])``; duplicate keys return the data (last value
    wins) together with one problem per duplicate.
    """
    loader = _StrictLoader(text)
    loader.problems = []
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        reason = exc.problem or exc.context or "not valid YAML"
        return None, [YamlProblem(line, f"invalid YAML: {reason}")]
    except yaml.YAMLError as exc:  # e.g. a second document in the same file
        return None, [YamlProblem(None, f"invalid YAML: {str(exc).splitlines()[0]}")]
    finally:
        loader.dispose()
    return data, list(loader.problems)
