"""Plain values from Azure DevOps answers: request counts, nodes, dates, error messages.

No SDK import: these read attributes of the SDK's models and of HTTP responses only.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Stats:
    """What was sent: every request, and those that change something."""

    requests: int = 0
    writes: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, write: bool) -> None:
        with self.lock:
            self.requests += 1
            self.writes += int(write)


def node_dict(node: Any) -> dict[str, Any]:
    """A classification node (SDK model) as a dict with ISO dates and its children."""
    attributes = node.attributes or {}
    return {
        "id": node.id,
        "identifier": node.identifier,
        "name": node.name,
        "path": node.path,
        "start": date_only(attributes.get("startDate")),
        "finish": date_only(attributes.get("finishDate")),
        "children": [node_dict(c) for c in node.children or []],
    }


def date_only(value: Any) -> str | None:
    """The date part of a datetime or ISO string (Azure DevOps stores date-only, UTC)."""
    if value is None or value == "":
        return None
    if hasattr(value, "date"):
        return value.date().isoformat()
    return str(value)[:10]


def number(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def service_message(response: Any) -> tuple[str, str]:
    """The service's own one-line message and type key from an error body, if any."""
    try:
        body = response.json()
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    message = str(body.get("message") or "").splitlines()[0] if body.get("message") else ""
    return message[:300], str(body.get("typeKey") or "")
