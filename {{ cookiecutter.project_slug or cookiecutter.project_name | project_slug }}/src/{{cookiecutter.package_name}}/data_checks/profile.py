"""The reference profile of a dataset, and the drift checks that compare new data with it.

A profile is a small JSON file, ``data/reference/<suite>.json``, computed from data the team
trusts (the bundled raw data at first). Per numeric column it keeps count, mean, std,
quantiles and decile bins; per categorical column the share of each category. It changes only
when someone refreshes it on purpose (``validate_data refresh-reference``), so a drift alarm
is never silenced by accident. Nothing in it depends on the clock, so refreshing unchanged
data rewrites the same bytes and ``--check`` can tell whether the profile is current.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .model import ERROR, FAILED, PASSED, DataCheckError, DriftRules, Outcome, Suite, Tables

PROFILE_FORMAT = 1
MISSING = "<missing>"  # the category that stands for a null value
# Empty bins would make the PSI infinite; a share this small stands in for zero.
EPSILON = 1e-4
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
REFRESH_HINT = "python -m {package}.validate_data refresh-reference --raw-data FILE"


def _package() -> str:
    return __name__.split(".")[0]


def profile_path(reference_dir: Path, suite_name: str) -> Path:
    """Where the profile of ``suite_name`` lives inside ``reference_dir``."""
    return reference_dir / f"{suite_name}.json"


def _round(value: float) -> float:
    # Six decimals: stable across platforms, readable in a diff, precise enough for drift.
    return round(float(value), 6)


def _numbers(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series, errors="coerce").dropna().to_numpy(dtype=float)


def bin_shares(values: np.ndarray, cut_points: list[float]) -> list[float]:
    """Share of ``values`` in each bin delimited by ``cut_points`` (len(cut_points) + 1 bins,
    the outer two open-ended); all zeros when there are no values."""
    counts = np.bincount(
        np.searchsorted(cut_points, values, side="right"), minlength=len(cut_points) + 1
    )
    total = counts.sum()
    return [float(count / total) if total else 0.0 for count in counts]


def category_shares(series: pd.Series) -> dict[str, float]:
    """Share of each category, nulls counted as ``<missing>``, keys sorted."""
    labels = series.astype(object).where(series.notna(), MISSING).astype(str)
    shares = labels.value_counts(normalize=True)
    return {str(key): float(shares[key]) for key in sorted(shares.index)}


def _numeric_profile(series: pd.Series, bins: int) -> dict[str, Any]:
    values = _numbers(series)
    if values.size == 0:
        raise DataCheckError(f"column {series.name!r} has no numeric values to profile")
    inner = [step / bins for step in range(1, bins)]
    cut_points = [_round(cut) for cut in np.unique(np.quantile(values, inner))]
    return {
        "count": int(values.size),
        "missing": int(series.isna().sum()),
        "mean": _round(values.mean()),
        "std": _round(values.std(ddof=1)) if values.size > 1 else 0.0,
        "min": _round(values.min()),
        "max": _round(values.max()),
        "quantiles": {str(q): _round(np.quantile(values, q)) for q in QUANTILES},
        "cut_points": cut_points,
        "bin_shares": [_round(share) for share in bin_shares(values, cut_points)],
    }


def build_profile(suite: Suite, tables: Tables, sources: Mapping[str, str]) -> dict[str, Any]:
    """The reference profile of ``suite``'s drift columns in each of its tables."""
    rules = suite.drift
    if rules is None:
        raise DataCheckError(f"suite {suite.name!r} has no drift rules, so it has no profile")
    profile: dict[str, Any] = {
        "format": PROFILE_FORMAT,
        "suite": suite.name,
        # Package-neutral, so the file is the same whichever name the project was baked with.
        "note": "made by `validate_data refresh-reference`; refresh on purpose, never by hand",
        "tables": {},
    }
    for table in suite.tables:
        frame = tables[table]
        missing = [c for c in (*rules.numeric, *rules.categorical) if c not in frame.columns]
        if missing:
            raise DataCheckError(
                f"cannot profile table {table!r}: column(s) {', '.join(missing)} not found"
            )
        profile["tables"][table] = {
            "source": sources.get(table, ""),
            "rows": len(frame),
            "numeric": {c: _numeric_profile(frame[c], rules.bins) for c in rules.numeric},
            "categorical": {
                c: {k: _round(v) for k, v in category_shares(frame[c]).items()}
                for c in rules.categorical
            },
        }
    return profile


def dump_profile(profile: Mapping[str, Any]) -> str:
    """The profile as the text stored in the repository (indented JSON, newline at the end)."""
    return json.dumps(profile, indent=2, ensure_ascii=False) + "\n"


def load_profile(reference_dir: Path, suite: Suite) -> dict[str, Any]:
    """Read and sanity-check the profile of ``suite``; DataCheckError says how to fix it."""
    path = profile_path(reference_dir, suite.name)
    hint = REFRESH_HINT.format(package=_package())
    if not path.is_file():
        raise DataCheckError(f"reference profile {path} not found: create it with `{hint}`")
    try:
        profile = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataCheckError(f"reference profile {path} is not readable JSON: {error}") from None
    if not isinstance(profile, dict) or profile.get("format") != PROFILE_FORMAT:
        raise DataCheckError(f"reference profile {path} is not format {PROFILE_FORMAT}: `{hint}`")
    rules = suite.drift or DriftRules()
    for table in suite.tables:
        stored = profile.get("tables", {}).get(table, {})
        absent = [c for c in rules.numeric if c not in stored.get("numeric", {})] + [
            c for c in rules.categorical if c not in stored.get("categorical", {})
        ]
        if absent:
            raise DataCheckError(
                f"reference profile {path} lacks table {table!r} column(s) "
                f"{', '.join(absent)} that the suite's drift rules name: `{hint}`"
            )
    return profile


def psi(reference: list[float], observed: list[float]) -> tuple[float, list[float]]:
    """Population stability index of two share vectors, and each bin's contribution."""
    parts = []
    for ref, obs in zip(reference, observed, strict=True):
        ref, obs = max(ref, EPSILON), max(obs, EPSILON)
        parts.append((obs - ref) * math.log(obs / ref))
    return sum(parts), parts


def _bin_label(index: int, cut_points: list[float]) -> str:
    low = f"{cut_points[index - 1]:g}" if index > 0 else "-inf"
    high = f"{cut_points[index]:g}" if index < len(cut_points) else "+inf"
    return f"[{low}, {high})"


def _psi_outcome(
    table: str, column: str, labels: list[str], ref: list[float], obs: list[float], limit: float
) -> Outcome:
    value, parts = psi(ref, obs)
    biggest = sorted(range(len(parts)), key=lambda i: parts[i], reverse=True)[:3]
    changes = ", ".join(f"{labels[i]}: {ref[i]:.1%} -> {obs[i]:.1%}" for i in biggest)
    return Outcome(
        table=table,
        check="population_stability_index",
        column=column,
        status=PASSED if value <= limit else FAILED,
        expected=f"PSI <= {limit:g} against the reference profile",
        observed=f"PSI {value:.3f}; biggest changes (reference -> observed): {changes}",
        description="Distribution drift: the column's shares moved away from the reference.",
    )


def drift_outcomes(
    frame: pd.DataFrame, table: str, stored: Mapping[str, Any], rules: DriftRules
) -> list[Outcome]:
    """PSI verdicts for every drift column of ``table`` against its stored profile."""
    outcomes = []
    for column in (*rules.numeric, *rules.categorical):
        if column not in frame.columns:
            outcomes.append(
                Outcome(
                    table=table,
                    check="population_stability_index",
                    column=column,
                    status=ERROR,
                    expected="PSI within the limit against the reference profile",
                    observed=f"column {column!r} is missing, so its drift cannot be measured",
                )
            )
        elif column in rules.numeric:
            ref = stored["numeric"][column]
            cuts = ref["cut_points"]
            labels = [_bin_label(i, cuts) for i in range(len(cuts) + 1)]
            observed = bin_shares(_numbers(frame[column]), cuts)
            limit = rules.max_psi_numeric
            outcomes.append(_psi_outcome(table, column, labels, ref["bin_shares"], observed, limit))
        else:
            ref_shares = stored["categorical"][column]
            obs_shares = category_shares(frame[column])
            labels = sorted(set(ref_shares) | set(obs_shares))
            ref = [ref_shares.get(label, 0.0) for label in labels]
            obs = [obs_shares.get(label, 0.0) for label in labels]
            limit = rules.max_psi_categorical
            outcomes.append(_psi_outcome(table, column, labels, ref, obs, limit))
    return outcomes


def mean_shift_expectations(stored: Mapping[str, Any], rules: DriftRules) -> list[Any]:
    """GX expectations: each numeric drift column's mean stays within the allowed shift."""
    import great_expectations.expectations as gxe  # heavy: only when suites run

    expectations = []
    for column in rules.numeric:
        ref = stored["numeric"][column]
        allowed = rules.max_mean_shift_std * ref["std"]
        expectations.append(
            gxe.ExpectColumnMeanToBeBetween(
                column=column,
                min_value=_round(ref["mean"] - allowed),
                max_value=_round(ref["mean"] + allowed),
                # Read back by the runner to report the shift in standard deviations.
                meta={"reference_mean": ref["mean"], "reference_std": ref["std"]},
                description=(
                    f"Distribution drift: the mean may move at most {rules.max_mean_shift_std:g}"
                    f" reference std ({ref['std']:g}) from the reference mean {ref['mean']:g}."
                ),
            )
        )
    return expectations
