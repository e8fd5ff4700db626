"""Results analysis: the statistics agree with scipy's own tests, keep their error rates and
coverage in simulation, recover the effect the sample generator planted, stay quiet on A/A
data, and the command writes a valid report and plot, or exits non-zero with one line and
writes nothing."""

from __future__ import annotations

import importlib.util
import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from {{ cookiecutter.package_name }} import results_analysis
from {{ cookiecutter.package_name }}.results_analysis import (
    compare_means,
    compare_proportions,
    decision,
    main,
)

PROJECT = Path(__file__).resolve().parents[2]
SAMPLE = PROJECT / "data" / "sample" / "ab_outcomes.csv"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def load_generator():
    """The sample-data script, imported from its path (it is a script, not a package)."""
    path = PROJECT / "data" / "sample" / "make_ab_outcomes.py"
    spec = importlib.util.spec_from_file_location("make_ab_outcomes", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generator = load_generator()


def analyze(tmp_path: Path, *flags: str, outcomes: Path = SAMPLE) -> dict:
    """Run the command in-process and return results.json."""
    output = tmp_path / "results"
    assert main(["--outcomes", str(outcomes), "--output-dir", str(output), *flags]) == 0
    return json.loads((output / "results.json").read_text(encoding="utf-8"))


def write_outcomes(path: Path, rows: list[tuple], header: str = "variant,converted") -> Path:
    lines = [header, *(",".join(str(value) for value in row) for row in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# -- the statistics ----------------------------------------------------------------------------


def test_proportion_test_agrees_with_scipys_chi_square_test():
    """A pooled two-proportion z-test is the 2x2 chi-square test without continuity correction."""
    result = compare_proportions(120, 1000, 150, 1000, alpha=0.05)
    table = [[120, 880], [150, 850]]
    chi2, p_value, _, _ = stats.chi2_contingency(table, correction=False)
    assert result.p_value == pytest.approx(p_value, rel=1e-9)
    assert result.statistic**2 == pytest.approx(chi2, rel=1e-9)
    assert result.absolute_effect == pytest.approx(0.03)
    assert result.relative_effect == pytest.approx(0.25)


def test_mean_test_agrees_with_scipys_welch_test():
    rng = np.random.default_rng(3)
    control, treatment = rng.normal(10, 3, 40), rng.normal(11, 1, 90)
    result = compare_means(control, treatment, alpha=0.05)
    reference = stats.ttest_ind(treatment, control, equal_var=False)
    interval = reference.confidence_interval(0.95)
    assert result.p_value == pytest.approx(reference.pvalue, rel=1e-9)
    assert result.statistic == pytest.approx(reference.statistic, rel=1e-9)
    assert result.absolute_ci == pytest.approx((interval.low, interval.high), rel=1e-9)


def test_proportion_test_keeps_its_false_positive_rate_on_a_a_data():
    rng = np.random.default_rng(11)
    successes = rng.binomial(2000, 0.1, size=(2000, 2))
    significant = [compare_proportions(c, 2000, t, 2000, 0.05).significant for c, t in successes]
    assert 0.035 <= np.mean(significant) <= 0.065


def test_mean_test_keeps_its_false_positive_rate_with_unequal_variances():
    """A pooled-variance t-test would reject far too often here (small arm, large variance)."""
    rng = np.random.default_rng(12)
    significant = [
        compare_means(rng.normal(5, 3, 20), rng.normal(5, 1, 80), 0.05).significant
        for _ in range(2000)
    ]
    assert 0.035 <= np.mean(significant) <= 0.065


def test_effect_interval_covers_the_true_effect_95_percent_of_the_time():
    rng = np.random.default_rng(13)
    control = rng.binomial(3000, 0.10, size=2000)
    treatment = rng.binomial(3000, 0.12, size=2000)
    covered = []
    for c, t in zip(control, treatment, strict=True):
        low, high = compare_proportions(c, 3000, t, 3000, 0.05).absolute_ci
        covered.append(low <= 0.02 <= high)
    assert 0.935 <= np.mean(covered) <= 0.965


@pytest.mark.parametrize(
    ("treatment_successes", "lower_is_better", "opening"),
    [
        (160, False, "The treatment significantly improves"),
        (80, False, "The treatment significantly worsens"),
        (80, True, "The treatment significantly improves"),
        (160, True, "The treatment significantly worsens"),
        (125, False, "No significant difference"),
    ],
)
def test_decision_follows_direction_and_significance(treatment_successes, lower_is_better, opening):
    result = compare_proportions(120, 1000, treatment_successes, 1000, alpha=0.05)
    assert decision(result, "conversion", lower_is_better).startswith(opening)


# -- the sample data and what the analysis finds in it ----------------------------------------


def test_sample_outcomes_are_exactly_what_the_generator_writes(tmp_path):
    regenerated = tmp_path / "ab_outcomes.csv"
    assert generator.main(["--output", str(regenerated)]) == 0
    assert regenerated.read_bytes() == SAMPLE.read_bytes()


def test_finds_the_conversion_effect_the_generator_planted(tmp_path):
    report = analyze(tmp_path)
    overall = report["overall"]
    low, high = overall["absolute_ci"]
    assert report["metric_type"] == "proportion"
    assert overall["test"] == "two-proportion z-test"
    assert low <= generator.true_rate_effect() <= high
    assert overall["significant"]
    assert overall["decision"].startswith("The treatment significantly improves converted")
    assert overall["control"]["n"] + overall["treatment"]["n"] == generator.DEFAULT_UNITS


def test_finds_each_segments_planted_effect(tmp_path):
    report = analyze(tmp_path, "--by", "platform")
    segments = {row["segment"]: row for row in report["segments"]["results"]}
    assert set(segments) == {"desktop", "mobile"}
    for platform, row in segments.items():
        low, high = row["absolute_ci"]
        assert low <= generator.true_rate_effect(platform) <= high, platform
    assert report["segments"]["bonferroni_alpha"] == pytest.approx(0.025)
    assert report["segments"]["skipped"] == []


def test_value_metric_uses_welch_and_finds_the_planted_effect(tmp_path):
    overall = analyze(tmp_path, "--metric", "value")["overall"]
    low, high = overall["absolute_ci"]
    assert overall["test"] == "Welch's t-test"
    assert low <= generator.true_value_effect() <= high


def test_a_a_data_shows_no_significant_effect(tmp_path):
    outcomes = tmp_path / "aa.csv"
    generator.write_csv(generator.generate(8000, seed=1, aa=True), outcomes)
    for metric in ("converted", "value"):
        overall = analyze(tmp_path, "--metric", metric, outcomes=outcomes)["overall"]
        assert not overall["significant"], metric
        assert overall["decision"].startswith("No significant difference"), metric


def test_segments_too_small_are_skipped_with_a_reason(tmp_path):
    rows = [("control", i % 2, "big") for i in range(40)]
    rows += [("treatment", int(i % 3 == 0), "big") for i in range(40)]
    rows += [("control", 1, "tiny"), ("treatment", 0, "tiny"), ("treatment", 1, "tiny")]
    outcomes = write_outcomes(tmp_path / "o.csv", rows, header="variant,converted,segment")
    segments = analyze(tmp_path, "--by", "segment", outcomes=outcomes)["segments"]
    assert [row["segment"] for row in segments["results"]] == ["big"]
    assert segments["skipped"][0]["segment"] == "tiny"
    assert "'control' has 1 units" in segments["skipped"][0]["reason"]
    assert segments["bonferroni_alpha"] == pytest.approx(0.05)


# -- the files written --------------------------------------------------------------------------


def test_writes_a_valid_png_plot_and_a_markdown_report(tmp_path):
    analyze(tmp_path, "--by", "platform")
    png = (tmp_path / "results" / "effect.png").read_bytes()
    assert png.startswith(PNG_SIGNATURE)
    assert png[12:16] == b"IHDR" and png.endswith(b"IEND\xaeB`\x82")
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1000, 375)  # 10 x (2.4 + 0.45 * 3 rows) inches at 100 dpi
    image = pytest.importorskip("matplotlib.image").imread(tmp_path / "results" / "effect.png")
    assert image.shape[:2] == (375, 1000)
    markdown = (tmp_path / "results" / "results.md").read_text(encoding="utf-8")
    assert "| platform = desktop |" in markdown
    assert "![Effect with confidence intervals](effect.png)" in markdown


def test_labels_from_the_data_are_escaped_in_the_markdown(tmp_path):
    rows = [("<script>x</script>", i % 2) for i in range(10)] + [("a|b", 1) for _ in range(10)]
    outcomes = write_outcomes(tmp_path / "o.csv", rows)
    flags = ["--control", "<script>x</script>", "--treatment", "a|b", "--no-plot"]
    analyze(tmp_path, *flags, outcomes=outcomes)
    markdown = (tmp_path / "results" / "results.md").read_text(encoding="utf-8")
    assert "<script>" not in markdown
    assert "&lt;script&gt;x&lt;/script&gt;" in markdown
    assert "| a\\|b |" in markdown


def test_missing_matplotlib_is_one_clear_error_and_nothing_is_written(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    output = tmp_path / "results"
    assert main(["--outcomes", str(SAMPLE), "--output-dir", str(output)]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "needs matplotlib" in error and "--no-plot" in error
    assert not output.exists()
    assert main(["--outcomes", str(SAMPLE), "--output-dir", str(output), "--no-plot"]) == 0
    assert sorted(path.name for path in output.iterdir()) == ["results.json", "results.md"]


# -- bad input ----------------------------------------------------------------------------------

GOOD_ROWS = [("control", i % 2) for i in range(6)] + [("treatment", int(i < 4)) for i in range(6)]
BAD_CSVS = [
    (
        "third_variant",
        "variant,converted\ncontrol,1\ncontrol,0\ntreatment,1\ntreatment,0\nother,1\n",
        1,
        "variant: expected exactly",
    ),
    ("one_arm", "variant,converted\ncontrol,1\ncontrol,0\n", 1, "variant: expected exactly"),
    (
        "missing_metric",
        "variant,converted\ncontrol,1\ncontrol,\ntreatment,1\ntreatment,0\n",
        1,
        "converted: 1 missing values (first on line 3)",
    ),
    (
        "text_metric",
        "variant,converted\ncontrol,1\ncontrol,yes\ntreatment,1\ntreatment,0\n",
        1,
        "converted: values must be numbers, found 'yes' on line 3",
    ),
    (
        "blank_variant",
        "variant,converted\ncontrol,1\ncontrol,0\n,1\ntreatment,1\ntreatment,0\n",
        1,
        "variant: a unit has no variant (line 4)",
    ),
    (
        "one_unit",
        "variant,converted\ncontrol,1\ntreatment,1\ntreatment,0\n",
        1,
        "'control' has 1 units, needs at least 2",
    ),
    ("empty", "", 1, "not a readable CSV"),
]


@pytest.mark.parametrize(
    ("content", "code", "message"), [c[1:] for c in BAD_CSVS], ids=[c[0] for c in BAD_CSVS]
)
def test_unusable_outcomes_exit_1_with_one_line_and_write_nothing(
    tmp_path, capsys, content, code, message
):
    outcomes = tmp_path / "outcomes.csv"
    outcomes.write_text(content, encoding="utf-8")
    output = tmp_path / "results"
    assert main(["--outcomes", str(outcomes), "--output-dir", str(output)]) == code
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and message in captured.err
    assert not output.exists()


BAD_FLAGS = [
    (["--metric", "revenue"], "--metric: column 'revenue' is not in"),
    (["--by", "country"], "--by: column 'country' is not in"),
    (["--variant-column", "arm"], "--variant-column: column 'arm' is not in"),
    (["--alpha", "1.5"], "argument --alpha"),
    (["--metric-type", "ratio"], "argument --metric-type"),
]


@pytest.mark.parametrize(("flags", "message"), BAD_FLAGS)
def test_bad_flags_exit_2_with_one_line_and_write_nothing(tmp_path, capsys, flags, message):
    outcomes = write_outcomes(tmp_path / "o.csv", GOOD_ROWS)
    output = tmp_path / "results"
    assert main(["--outcomes", str(outcomes), "--output-dir", str(output), *flags]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and message in error
    assert not output.exists()


def test_forcing_a_proportion_on_a_continuous_metric_exits_1(tmp_path, capsys):
    outcomes = tmp_path / "o.csv"
    outcomes.write_text("variant,converted\ncontrol,0.5\ncontrol,1\ntreatment,0\ntreatment,1\n")
    output = tmp_path / "results"
    assert (
        main(
            [
                "--outcomes",
                str(outcomes),
                "--output-dir",
                str(output),
                "--metric-type",
                "proportion",
            ]
        )
        == 1
    )
    assert "needs only 0/1 values" in capsys.readouterr().err


def test_missing_outcomes_file_exits_2(tmp_path, capsys):
    assert (
        main(["--outcomes", str(tmp_path / "nope.csv"), "--output-dir", str(tmp_path / "r")]) == 2
    )
    assert "--outcomes" in capsys.readouterr().err


@pytest.mark.slow  # starts a new Python: seconds, not milliseconds
def test_command_line_exit_codes(tmp_path):
    """The real entry point: 0 with a summary line on the sample, 2 with one line on a bad flag."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT / "src")}
    base = [sys.executable, "-m", results_analysis.__name__, "--outcomes", str(SAMPLE)]
    good = subprocess.run(
        [*base, "--output-dir", str(tmp_path / "ok"), "--no-plot"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert good.returncode == 0, good.stderr
    assert good.stdout.startswith("results_analysis: The treatment significantly improves")
    bad = subprocess.run(
        [*base, "--output-dir", str(tmp_path / "bad"), "--metric", "revenue"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2
    assert len(bad.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "bad").exists()
