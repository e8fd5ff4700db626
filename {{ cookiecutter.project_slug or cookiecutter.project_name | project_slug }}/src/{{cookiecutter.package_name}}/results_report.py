"""The readable side of an A/B results analysis: the Markdown report and the effect plot.

Kept apart from the statistics in ``results_analysis`` so each file has one job; both are
used by ``python -m <package>.results_analysis``.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from markupsafe import escape

from .cli import StepError

if TYPE_CHECKING:
    from .results_analysis import Comparison


def fmt(value: float, metric_type: str, signed: bool = False) -> str:
    """Rates as percentages and rate differences in points; means as plain numbers."""
    if metric_type == "proportion":
        return f"{value * 100:+.2f} pts" if signed else f"{value:.2%}"
    return f"{value:+.4g}" if signed else f"{value:.4g}"


def render_markdown(report: dict) -> str:
    """The results report for the phase folder. Text from the data (labels, segment values,
    column names) is HTML-escaped and its pipes escaped, so it cannot break the tables."""

    def cell(text) -> str:
        return str(escape(str(text))).replace("|", "\\|")

    kind, overall, segments = report["metric_type"], report["overall"], report["segments"]
    lines = [
        f"# A/B test results: {cell(report['metric'])}",
        "",
        f"**Decision.** {cell(overall['decision'])}",
        "",
        f"{overall['test']}, two-sided, alpha = {report['alpha']:g}; intervals are "
        f"{1 - report['alpha']:.0%} confidence intervals.",
        "",
        "| variant | n | estimate | CI |",
        "| --- | ---: | ---: | --- |",
    ]
    for arm in (overall["control"], overall["treatment"]):
        interval = f"{fmt(arm['ci_low'], kind)} to {fmt(arm['ci_high'], kind)}"
        estimate = fmt(arm["estimate"], kind)
        lines.append(f"| {cell(arm['name'])} | {arm['n']:,} | {estimate} | {interval} |")
    lines += [
        "",
        "| scope | effect | CI | relative | p-value | significant |",
        "| --- | ---: | --- | ---: | ---: | --- |",
    ]
    scopes = [("overall", overall)]
    if segments:
        scopes += [(f"{segments['by']} = {row['segment']}", row) for row in segments["results"]]
    for scope, row in scopes:
        low, high = (fmt(bound, kind, signed=True) for bound in row["absolute_ci"])
        effect = fmt(row["absolute_effect"], kind, signed=True)
        relative = "n/a" if row["relative_effect"] is None else f"{row['relative_effect']:+.1%}"
        significant = "yes" if row["significant"] else "no"
        lines.append(
            f"| {cell(scope)} | {effect} | {low} to {high} | {relative} "
            f"| {row['p_value']:.3g} | {significant} |"
        )
    if segments:
        lines += [
            "",
            f"Segments are exploratory: with {len(segments['results'])} of them, one is only "
            f"convincing below the Bonferroni threshold p < {segments['bonferroni_alpha']:.3g}.",
        ]
        lines += [
            f"- skipped {cell(s['segment'])}: {cell(s['reason'])}" for s in segments["skipped"]
        ]
    lines += ["", "![Effect with confidence intervals](effect.png)", ""]
    return "\n".join(lines)


def plot_effects(report: dict, plotted: list[tuple[str, Comparison]]) -> bytes:
    """A PNG with two panels: each variant's estimate, and the effect overall and per segment,
    all with confidence intervals; significant effects are green."""
    try:
        from matplotlib.figure import Figure  # imported late: only the plot needs matplotlib
    except ImportError:
        raise StepError(
            "effect.png needs matplotlib: pip install matplotlib, or pass --no-plot"
        ) from None
    kind = report["metric_type"]
    scale = 100 if kind == "proportion" else 1

    def draw(axis, position, estimate, low, high, color):
        error = [[(estimate - low) * scale], [(high - estimate) * scale]]
        axis.errorbar(estimate * scale, position, xerr=error, fmt="o", color=color, capsize=4)

    figure = Figure(figsize=(10, 2.4 + 0.45 * len(plotted)), layout="constrained")
    arms_axis, effect_axis = figure.subplots(1, 2)
    overall = plotted[0][1]
    for position, arm in enumerate((overall.control, overall.treatment)):
        draw(arms_axis, position, arm.estimate, arm.ci_low, arm.ci_high, "tab:blue")
    arms_axis.set_yticks([0, 1], [overall.control.name, overall.treatment.name])
    arms_axis.set_ylim(-0.6, 1.6)
    arms_axis.set_title(f"{report['metric']} per variant")
    arms_axis.set_xlabel("rate (%)" if kind == "proportion" else "mean")
    rows = list(reversed(plotted))  # overall on top
    for position, (_, result) in enumerate(rows):
        color = "tab:green" if result.significant else "tab:gray"
        draw(effect_axis, position, result.absolute_effect, *result.absolute_ci, color)
    effect_axis.axvline(0, color="black", linestyle="--", linewidth=1)
    effect_axis.set_yticks(range(len(rows)), [label for label, _ in rows])
    effect_axis.set_ylim(-0.6, len(rows) - 0.4)
    effect_axis.set_title(f"treatment - control, {1 - report['alpha']:.0%} CI")
    unit = "points" if kind == "proportion" else "metric units"
    effect_axis.set_xlabel(f"effect in {unit} (green: significant)")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()
