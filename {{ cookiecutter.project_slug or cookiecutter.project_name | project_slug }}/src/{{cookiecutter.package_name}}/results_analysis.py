"""Read per-variant outcomes of an A/B test and report what the treatment changed.

``python -m <package>.results_analysis --outcomes CSV --output-dir DIR [--metric converted]
[--alpha 0.05] [--by COLUMN] [--variant-column variant] [--control control]
[--treatment treatment] [--metric-type auto|proportion|mean] [--lower-is-better] [--no-plot]``

The CSV has one row per unit with its variant and the metric. A metric of only 0/1 values is
a proportion (two-proportion z-test, normal-approximation intervals); any other numeric metric
is a mean (Welch's t-test and interval). The report gives each variant's n and rate or mean,
the absolute and relative effect with confidence intervals, the test and a one-sentence
decision, overall and, with ``--by``, per segment. It writes ``DIR/results.json``,
``DIR/results.md`` and ``DIR/effect.png``.

Exit codes follow the pipeline steps (see ``cli``): 0 the report was written, whatever it
concludes; 1 the outcomes' content is unusable (missing values, unknown variants, an arm with
fewer than 2 units) or matplotlib is missing; 2 the command was called wrong (a flag, a missing
file or column). On 1 or 2 one line goes to stderr and nothing is written.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd
from scipy import stats

from .cli import (
    StepArgumentParser,
    StepError,
    UsageError,
    existing_file,
    open_fraction,
    output_dir,
    run_step,
    write_bytes_atomically,
)
from .results_report import fmt, plot_effects, render_markdown

STEP = "results_analysis"


@dataclass(frozen=True)
class VariantSummary:
    """One variant's sample size and estimate (rate or mean) with its confidence interval."""

    name: str
    n: int
    estimate: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class Comparison:
    """Treatment against control: effects with ``1 - alpha`` intervals, and the test."""

    metric_type: str
    control: VariantSummary
    treatment: VariantSummary
    absolute_effect: float
    absolute_ci: tuple[float, float]
    relative_effect: float | None
    relative_ci: tuple[float, float] | None
    test: str
    statistic: float
    p_value: float
    alpha: float
    significant: bool


def _interval(estimate: float, se: float, critical: float) -> tuple[float, float]:
    return (estimate - critical * se, estimate + critical * se)


def _relative(mean_c: float, mean_t: float, var_c: float, var_t: float, z: float):
    """Relative effect ``t / c - 1`` with a delta-method interval; (None, None) when c is 0."""
    if mean_c == 0:
        return None, None
    relative = mean_t / mean_c - 1
    se = math.sqrt(var_t / mean_c**2 + mean_t**2 * var_c / mean_c**4)
    return relative, _interval(relative, se, z)


def _two_sided_p(effect: float, se: float, tail_probability) -> tuple[float, float]:
    """(statistic, p-value). A zero standard error means every unit in each arm was equal:
    p is 1 when the arms agree and 0 when they differ."""
    if se == 0:
        return 0.0, 1.0 if effect == 0 else 0.0
    statistic = effect / se
    return statistic, float(2 * tail_probability(abs(statistic)))


def compare_proportions(
    successes_c: int, n_c: int, successes_t: int, n_t: int, alpha: float, names=("c", "t")
) -> Comparison:
    """Two-proportion z-test (pooled standard error under H0{% if cookiecutter.include_ab_testing %},
    as the sample-size formula in ``ab_testing`` assumes{% endif %}) with Wald intervals for the
    rates and their difference."""
    z = NormalDist().inv_cdf(1 - alpha / 2)
    p_c, p_t = successes_c / n_c, successes_t / n_t
    var_c, var_t = p_c * (1 - p_c) / n_c, p_t * (1 - p_t) / n_t
    pooled = (successes_c + successes_t) / (n_c + n_t)
    se_null = math.sqrt(pooled * (1 - pooled) * (1 / n_c + 1 / n_t))
    statistic, p_value = _two_sided_p(p_t - p_c, se_null, lambda x: NormalDist().cdf(-x))
    relative, relative_ci = _relative(p_c, p_t, var_c, var_t, z)
    return Comparison(
        metric_type="proportion",
        control=VariantSummary(names[0], n_c, p_c, *_interval(p_c, math.sqrt(var_c), z)),
        treatment=VariantSummary(names[1], n_t, p_t, *_interval(p_t, math.sqrt(var_t), z)),
        absolute_effect=p_t - p_c,
        absolute_ci=_interval(p_t - p_c, math.sqrt(var_c + var_t), z),
        relative_effect=relative,
        relative_ci=relative_ci,
        test="two-proportion z-test",
        statistic=statistic,
        p_value=p_value,
        alpha=alpha,
        significant=p_value < alpha,
    )


def compare_means(values_c, values_t, alpha: float, names=("c", "t")) -> Comparison:
    """Welch's t-test and interval: unequal variances, Welch-Satterthwaite degrees of freedom.
    Each arm needs at least 2 values."""
    values_c, values_t = np.asarray(values_c, float), np.asarray(values_t, float)
    n_c, n_t = len(values_c), len(values_t)
    mean_c, mean_t = float(values_c.mean()), float(values_t.mean())
    var_c, var_t = values_c.var(ddof=1) / n_c, values_t.var(ddof=1) / n_t
    se = math.sqrt(var_c + var_t)
    df = (var_c + var_t) ** 2 / (var_c**2 / (n_c - 1) + var_t**2 / (n_t - 1)) if se else 1.0
    statistic, p_value = _two_sided_p(mean_t - mean_c, se, lambda x: stats.t.sf(x, df))
    z = NormalDist().inv_cdf(1 - alpha / 2)
    relative, relative_ci = _relative(mean_c, mean_t, var_c, var_t, z)

    def summary(name: str, n: int, mean: float, var: float) -> VariantSummary:
        t_arm = float(stats.t.ppf(1 - alpha / 2, n - 1))
        return VariantSummary(name, n, mean, *_interval(mean, math.sqrt(var), t_arm))

    return Comparison(
        metric_type="mean",
        control=summary(names[0], n_c, mean_c, var_c),
        treatment=summary(names[1], n_t, mean_t, var_t),
        absolute_effect=mean_t - mean_c,
        absolute_ci=_interval(mean_t - mean_c, se, float(stats.t.ppf(1 - alpha / 2, df))),
        relative_effect=relative,
        relative_ci=relative_ci,
        test="Welch's t-test",
        statistic=statistic,
        p_value=p_value,
        alpha=alpha,
        significant=p_value < alpha,
    )


@dataclass(frozen=True)
class Setup:
    """What is compared: the metric and its type, the column and labels of the arms, alpha."""

    metric: str
    metric_type: str
    variant_column: str
    control: str
    treatment: str
    alpha: float


def load_outcomes(path: Path, metric: str, variant_column: str, by: str | None) -> pd.DataFrame:
    """Read the outcomes; the named columns must exist and the metric be complete, finite
    numbers (booleans count as 0/1). Variant labels are read as text."""
    try:
        frame = pd.read_csv(path, dtype={variant_column: str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise StepError(f"--outcomes: {path} is not a readable CSV ({error})") from None
    for flag, column in (("--metric", metric), ("--variant-column", variant_column), ("--by", by)):
        if column is not None and column not in frame.columns:
            raise UsageError(f"{flag}: column {column!r} is not in {path}")
    values = frame[metric]
    if values.isna().any():
        line = int(values.isna().to_numpy().argmax()) + 2  # + header line, + 1-based
        raise StepError(
            f"{metric}: {int(values.isna().sum())} missing values (first on line {line})"
        )
    if values.dtype == bool:
        frame[metric] = values = values.astype(int)
    if not pd.api.types.is_numeric_dtype(values):
        row = int(pd.to_numeric(values, errors="coerce").isna().to_numpy().argmax())
        found = values.iloc[row]
        raise StepError(f"{metric}: values must be numbers, found {found!r} on line {row + 2}")
    if not np.isfinite(values.to_numpy(dtype=float)).all():
        raise StepError(f"{metric}: values must be finite numbers, found inf")
    return frame


def resolve_metric_type(values: pd.Series, requested: str) -> str:
    """'proportion' for a metric of only 0/1 values, else 'mean'; a forced type is checked."""
    binary = bool(values.isin([0, 1]).all())
    if requested == "proportion" and not binary:
        raise StepError(f"{values.name}: --metric-type proportion needs only 0/1 values")
    if requested == "auto":
        return "proportion" if binary else "mean"
    return requested


def compare(frame: pd.DataFrame, setup: Setup) -> Comparison:
    """Compare treatment with control over the rows of ``frame`` (all, or one segment's)."""
    arms = []
    for label in (setup.control, setup.treatment):
        values = frame.loc[frame[setup.variant_column] == label, setup.metric]
        if len(values) < 2:
            raise StepError(
                f"{setup.variant_column}: {label!r} has {len(values)} units, needs at least 2"
            )
        arms.append(values)
    control, treatment = arms
    names = (setup.control, setup.treatment)
    if setup.metric_type == "mean":
        return compare_means(control, treatment, setup.alpha, names)
    successes_c, successes_t = int(control.sum()), int(treatment.sum())
    return compare_proportions(
        successes_c, len(control), successes_t, len(treatment), setup.alpha, names
    )


def compare_segments(frame: pd.DataFrame, by: str, setup: Setup):
    """Compare the arms within each value of ``by`` (missing values form their own segment).
    Returns ``[(segment, Comparison)]`` and ``[{"segment", "reason"}]`` for segments skipped
    because an arm has fewer than 2 units there."""
    compared, skipped = [], []
    for value, segment in frame.groupby(by, dropna=False, sort=True):
        name = "(missing)" if pd.isna(value) else str(value)
        try:
            compared.append((name, compare(segment, setup)))
        except StepError as error:
            skipped.append({"segment": name, "reason": str(error)})
    return compared, skipped


def decision(result: Comparison, metric: str, lower_is_better: bool = False) -> str:
    """One sentence a stakeholder can act on: direction, size, interval, p-value, next step."""
    kind = result.metric_type
    low, high = (fmt(bound, kind, signed=True) for bound in result.absolute_ci)
    evidence = (
        f"{fmt(result.control.estimate, kind)} (control) vs "
        f"{fmt(result.treatment.estimate, kind)} (treatment), effect "
        f"{fmt(result.absolute_effect, kind, signed=True)}, {1 - result.alpha:.0%} CI "
        f"{low} to {high}, p = {result.p_value:.3g}"
    )
    if not result.significant:
        return (
            f"No significant difference in {metric} at alpha = {result.alpha:g}: {evidence}. "
            "Keep the control, or run longer if an effect inside the interval would matter."
        )
    if (result.absolute_effect < 0) == lower_is_better:
        return (
            f"The treatment significantly improves {metric}: {evidence}. "
            "Promote the candidate (shift traffic to green) if the guard-rail metrics hold."
        )
    return (
        f"The treatment significantly worsens {metric}: {evidence}. "
        "Keep the control (all traffic to blue) and find out why before a new test."
    )


def _as_dict(result: Comparison) -> dict:
    data = asdict(result)
    return {key: list(value) if isinstance(value, tuple) else value for key, value in data.items()}


def build_report(frame: pd.DataFrame, args: argparse.Namespace):
    """Everything the JSON, Markdown and plot show, computed before anything is written.
    Returns the JSON-ready report and the ``(label, Comparison)`` pairs the plot draws."""
    metric_type = resolve_metric_type(frame[args.metric], args.metric_type)
    setup = Setup(
        args.metric, metric_type, args.variant_column, args.control, args.treatment, args.alpha
    )
    labels = frame[args.variant_column]
    if labels.isna().any():
        line = int(labels.isna().to_numpy().argmax()) + 2
        raise StepError(f"{args.variant_column}: a unit has no variant (line {line})")
    found, expected = set(labels.unique()), {args.control, args.treatment}
    if found != expected:
        raise StepError(
            f"{args.variant_column}: expected exactly {sorted(expected)}, found {sorted(found)} "
            "(name the arms with --control and --treatment)"
        )
    overall = compare(frame, setup)
    report = {
        "metric": args.metric,
        "metric_type": metric_type,
        "alpha": args.alpha,
        "lower_is_better": args.lower_is_better,
        "overall": {
            **_as_dict(overall),
            "decision": decision(overall, args.metric, args.lower_is_better),
        },
        "segments": None,
    }
    if not args.by:
        return report, [("overall", overall)]
    compared, skipped = compare_segments(frame, args.by, setup)
    bonferroni = args.alpha / max(len(compared), 1)  # exploratory slices: k tests at once
    results = [
        {"segment": name, **_as_dict(r), "significant_after_bonferroni": r.p_value < bonferroni}
        for name, r in compared
    ]
    report["segments"] = {"by": args.by, "bonferroni_alpha": bonferroni, "results": results}
    report["segments"]["skipped"] = skipped
    return report, [("overall", overall)] + [(f"{args.by}={n}", r) for n, r in compared]


def build_parser() -> argparse.ArgumentParser:
    parser = StepArgumentParser(
        prog=f"python -m {__package__}.{STEP}", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--outcomes", type=existing_file, required=True, help="one row per unit")
    parser.add_argument("--output-dir", type=Path, required=True)
    parser.add_argument("--metric", default="converted", help="column to compare")
    parser.add_argument("--alpha", type=open_fraction, default=0.05, help="two-sided")
    parser.add_argument("--by", help="also compare the arms within each value of this column")
    parser.add_argument("--variant-column", default="variant")
    parser.add_argument("--control", default="control", help="label of the control arm (blue)")
    parser.add_argument("--treatment", default="treatment", help="label of the candidate (green)")
    parser.add_argument("--metric-type", choices=("auto", "proportion", "mean"), default="auto")
    parser.add_argument("--lower-is-better", action="store_true", help="e.g. an error rate")
    parser.add_argument("--no-plot", action="store_true", help="skip effect.png")
    return parser


def analyze(args: argparse.Namespace) -> str:
    """Run the analysis and write the three files; returns the decision for the summary line."""
    frame = load_outcomes(args.outcomes, args.metric, args.variant_column, args.by)
    report, plotted = build_report(frame, args)
    files = {} if args.no_plot else {"effect.png": plot_effects(report, plotted)}
    files["results.json"] = (json.dumps(report, indent=2, allow_nan=False) + "\n").encode()
    files["results.md"] = render_markdown(report).encode()
    directory = output_dir(args.output_dir, "--output-dir")
    for name, content in files.items():  # each through a temporary name: readers see whole files
        write_bytes_atomically(content, directory / name)
    return f"{report['overall']['decision']} Wrote {', '.join(sorted(files))} to {args.output_dir}"


def main(argv: Sequence[str] | None = None) -> int:
    return run_step(STEP, build_parser(), analyze, argv)


if __name__ == "__main__":
    sys.exit(main())
