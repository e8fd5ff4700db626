"""Generate the sample A/B-test outcomes in ``data/sample/ab_outcomes.csv``.

The committed CSV was written by this script with its defaults, so re-running it reproduces
the file byte for byte (a unit test checks that). It stands in for the per-unit log an online
test produces: one row per unit (user, request, order) with the variant it was served, a
segment, whether it converted and the value it brought.

What is planted (the "truth" a correct analysis must recover):

* units are split 50/50 between ``control`` (blue, the current model) and ``treatment``
  (green, the candidate); 40% of them are on ``desktop``, 60% on ``mobile``;
* control converts at 13% on desktop and 8% on mobile (10% overall);
{%- if cookiecutter.include_ab_testing %}
* the treatment adds 3.5 points on desktop and 1 point on mobile (2 points overall: the
  minimum detectable effect of the example design ``ab_testing design --baseline-rate 0.10
  --mde 0.02``);
{%- else %}
* the treatment adds 3.5 points on desktop and 1 point on mobile (2 points overall, on a
  10% baseline);
{%- endif %}
* a converted unit's value is log-normal (median 40, sigma 0.5) in both variants, so the
  treatment changes how many units convert, not how much a converted unit spends.

``--aa`` writes an A/A data set instead (no lift anywhere), the check a team runs before
trusting its experiment pipeline. Only ``random.Random.random`` is used, whose sequence for a
given seed Python guarantees across versions, so the output does not depend on numpy.

Usage::

    python data/sample/make_ab_outcomes.py [--output data/sample/ab_outcomes.csv]
        [--units 8000] [--seed 20240617] [--aa]
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import sys
from pathlib import Path
from statistics import NormalDist

DEFAULT_OUTPUT = Path(__file__).with_name("ab_outcomes.csv")
DEFAULT_UNITS = 8000
DEFAULT_SEED = 20240617

TREATMENT_SHARE = 0.5
DESKTOP_SHARE = 0.4
CONTROL_RATE = {"desktop": 0.13, "mobile": 0.08}
LIFT = {"desktop": 0.035, "mobile": 0.01}
ORDER_VALUE_MEDIAN = 40.0
ORDER_VALUE_SIGMA = 0.5
COLUMNS = ("unit_id", "variant", "platform", "converted", "value")


def segment_share(platform: str) -> float:
    """Share of units on ``platform``."""
    return DESKTOP_SHARE if platform == "desktop" else 1.0 - DESKTOP_SHARE


def true_rate_effect(platform: str | None = None) -> float:
    """The planted absolute lift in conversion rate, for one platform or (None) overall."""
    if platform is not None:
        return LIFT[platform]
    return sum(segment_share(name) * lift for name, lift in LIFT.items())


def mean_order_value() -> float:
    """Expected value of a converted unit: the mean of the log-normal order value."""
    return ORDER_VALUE_MEDIAN * math.exp(ORDER_VALUE_SIGMA**2 / 2)


def true_value_effect(platform: str | None = None) -> float:
    """The planted lift in mean value per unit (conversions are worth the same in both arms)."""
    return true_rate_effect(platform) * mean_order_value()


def generate(units: int, seed: int, aa: bool = False) -> list[tuple[str, str, str, int, str]]:
    """Return ``units`` rows; the same arguments always give the same rows."""
    rng = random.Random(seed)
    order_value = NormalDist(math.log(ORDER_VALUE_MEDIAN), ORDER_VALUE_SIGMA)
    width = len(str(units))
    rows = []
    for index in range(1, units + 1):
        variant = "treatment" if rng.random() < TREATMENT_SHARE else "control"
        platform = "desktop" if rng.random() < DESKTOP_SHARE else "mobile"
        rate = CONTROL_RATE[platform]
        if variant == "treatment" and not aa:
            rate += LIFT[platform]
        converted = rng.random() < rate
        # Always draw the value so both variants consume the random stream alike.
        quantile = min(max(rng.random(), 1e-12), 1.0 - 1e-12)
        value = math.exp(order_value.inv_cdf(quantile)) if converted else 0.0
        rows.append((f"u{index:0{width}d}", variant, platform, int(converted), f"{value:.2f}"))
    return rows


def write_csv(rows: list[tuple[str, str, str, int, str]], output: Path) -> None:
    """Write ``rows`` with a header and Unix line endings."""
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--units", type=int, default=DEFAULT_UNITS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--aa", action="store_true", help="no lift: an A/A data set")
    args = parser.parse_args(argv)
    if args.units < 2:
        parser.error(f"argument --units: must be at least 2, got {args.units}")
    write_csv(generate(args.units, args.seed, aa=args.aa), args.output)
    print(f"wrote {args.units} units to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
