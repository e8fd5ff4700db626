"""The data report: ``data-report.md``, ``data-report.html`` and ``data-report.json``.

Failures come first, each with the column, the check, the rule, what was observed and a few
offending rows with their line in the CSV file; then every check in one table. Every value
that comes from data (a column name, a category, a cell) is escaped: a cell holding
``<script>`` shows as text in the HTML and in Azure DevOps' Markdown view.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path

from markupsafe import escape

from ..cli import write_text_atomically
from .model import Outcome

REPORT_STEM = "data-report"
_CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1b1b1b; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; font-size: 0.9rem; }
th, td { border: 1px solid #c8c8c8; padding: 0.25rem 0.5rem; text-align: left; }
th { background: #f0f0f0; }
.passed { color: #1a7f37; } .failed, .error { color: #c62828; font-weight: bold; }
.failure { border-left: 4px solid #c62828; padding-left: 1rem; margin-bottom: 1.5rem; }
code { background: #f4f4f4; padding: 0 0.2rem; }
"""


def verdict(outcomes: Sequence[Outcome]) -> str:
    """One line: PASSED, or FAILED with how many checks failed."""
    failed = [o for o in outcomes if not o.passed]
    if failed:
        return f"FAILED: {len(failed)} of {len(outcomes)} checks failed"
    return f"PASSED: all {len(outcomes)} checks passed"


def _summary(outcomes: Sequence[Outcome]) -> list[dict[str, object]]:
    """Passed and failed counts per suite and table, in the order they were checked."""
    counts: dict[tuple[str, str], list[int]] = {}
    for o in outcomes:
        counts.setdefault((o.suite, o.table), [0, 0])[0 if o.passed else 1] += 1
    return [
        {"suite": suite, "table": table, "passed": passed, "failed": failed}
        for (suite, table), (passed, failed) in counts.items()
    ]


def to_json(outcomes: Sequence[Outcome], inputs: Mapping[str, str]) -> str:
    """The machine-readable report; ``success`` is what the exit code says."""
    document = {
        "success": all(o.passed for o in outcomes),
        "verdict": verdict(outcomes),
        "inputs": dict(inputs),
        "summary": _summary(outcomes),
        "outcomes": [asdict(o) for o in outcomes],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _md(value: object) -> str:
    """Text safe inside a Markdown table cell: HTML-escaped, no pipes, one line."""
    text = str(escape(str(value)))
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _md_rows(outcome: Outcome) -> list[str]:
    columns = list(outcome.sample_rows[0].values)
    lines = [
        "| line | " + " | ".join(_md(c) for c in columns) + " |",
        "|---" * (len(columns) + 1) + "|",
    ]
    for row in outcome.sample_rows:
        cells = [_md(row.values.get(c, "")) for c in columns]
        lines.append(f"| {_md(row.line or '?')} | " + " | ".join(cells) + " |")
    return lines


def _title(o: Outcome) -> str:
    on = f" on column {o.column}" if o.column else ""
    return f"{o.suite} / {o.table}: {o.check}{on}"


def to_markdown(outcomes: Sequence[Outcome], inputs: Mapping[str, str]) -> str:
    """The report as Markdown (what the pipeline summary and a pull request show)."""
    lines = [f"# Data report: {verdict(outcomes)}", ""]
    lines += [f"- {_md(name)}: {_md(path)}" for name, path in inputs.items()]
    lines += ["", "| suite | table | passed | failed |", "|---|---|---|---|"]
    lines += [
        f"| {_md(s['suite'])} | {_md(s['table'])} | {s['passed']} | {s['failed']} |"
        for s in _summary(outcomes)
    ]
    failures = [o for o in outcomes if not o.passed]
    if failures:
        lines += ["", "## Failures"]
    for o in failures:
        lines += ["", f"### {_md(_title(o))}", ""]
        lines += [f"- status: {o.status}", f"- expected: {_md(o.expected)}"]
        lines += [f"- observed: {_md(o.observed)}"]
        if o.description:
            lines.append(f"- why it matters: {_md(o.description)}")
        if o.sample_rows:
            lines += ["", f"Sample offending rows (first {len(o.sample_rows)}):", ""]
            lines += _md_rows(o)
    lines += ["", "## All checks", ""]
    lines += ["| status | suite | table | check | column | expected | observed |"]
    lines.append("|---|---|---|---|---|---|---|")
    for o in outcomes:
        cells = [o.status, o.suite, o.table, o.check, o.column or "(table)", o.expected, o.observed]
        lines.append("| " + " | ".join(_md(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def _html_rows(outcome: Outcome) -> str:
    columns = list(outcome.sample_rows[0].values)
    head = "".join(f"<th>{escape(c)}</th>" for c in ["line", *columns])
    body = "".join(
        "<tr>"
        + f"<td>{escape(row.line or '?')}</td>"
        + "".join(f"<td>{escape(row.values.get(c, ''))}</td>" for c in columns)
        + "</tr>"
        for row in outcome.sample_rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def to_html(outcomes: Sequence[Outcome], inputs: Mapping[str, str]) -> str:
    """The report as a standalone HTML page (no scripts, no external resources)."""
    head = escape(verdict(outcomes))
    state = "passed" if all(o.passed for o in outcomes) else "failed"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Data report: {head}</title><style>{_CSS}</style></head><body>",
        f'<h1>Data report: <span class="{state}">{head}</span></h1>',
        "<ul>" + "".join(f"<li>{escape(k)}: {escape(v)}</li>" for k, v in inputs.items()),
        "</ul><table><tr><th>suite</th><th>table</th><th>passed</th><th>failed</th></tr>",
    ]
    for s in _summary(outcomes):
        cells = (s["suite"], s["table"], s["passed"], s["failed"])
        parts.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>")
    parts.append("</table>")
    failures = [o for o in outcomes if not o.passed]
    if failures:
        parts.append("<h2>Failures</h2>")
    for o in failures:
        parts += [
            f'<div class="failure"><h3>{escape(_title(o))}</h3><dl>',
            f'<dt>status</dt><dd class="{o.status}">{escape(o.status)}</dd>',
            f"<dt>expected</dt><dd>{escape(o.expected)}</dd>",
            f"<dt>observed</dt><dd>{escape(o.observed)}</dd>",
            f"<dt>why it matters</dt><dd>{escape(o.description or '-')}</dd></dl>",
        ]
        if o.sample_rows:
            parts.append(f"<p>Sample offending rows (first {len(o.sample_rows)}):</p>")
            parts.append(_html_rows(o))
        parts.append("</div>")
    parts.append("<h2>All checks</h2><table><tr>")
    parts.append("".join(f"<th>{h}</th>" for h in ("status", "suite", "table", "check")))
    parts.append("<th>column</th><th>expected</th><th>observed</th></tr>")
    for o in outcomes:
        cells = (o.suite, o.table, o.check, o.column or "(table)", o.expected, o.observed)
        parts.append(
            f'<tr><td class="{o.status}">{escape(o.status)}</td>'
            + "".join(f"<td>{escape(c)}</td>" for c in cells)
            + "</tr>"
        )
    parts.append("</table></body></html>")
    return "\n".join(parts) + "\n"


def write_reports(
    outcomes: Sequence[Outcome], directory: Path, inputs: Mapping[str, str]
) -> dict[str, Path]:
    """Write the three report files into ``directory`` and return them by format.

    Everything is rendered before the first byte is written, and each file is replaced in one
    rename, so a report directory never holds a half-written or mixed-up report.
    """
    rendered = {
        "md": to_markdown(outcomes, inputs),
        "html": to_html(outcomes, inputs),
        "json": to_json(outcomes, inputs),
    }
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for suffix, text in rendered.items():
        paths[suffix] = directory / f"{REPORT_STEM}.{suffix}"
        write_text_atomically(text, paths[suffix])
    return paths
