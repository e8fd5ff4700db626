"""The training pipeline's report (metrics, the gate's decision, the run tag), against a fake."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import training_report
from baked import ROOT

# --- training report -------------------------------------------------------------------------

METRICS = {"macro_f1": 0.9712, "accuracy": 0.9767, "n_test_rows": 86}
DECISION = {
    "register": True,
    "reason": "better than the registered model",
    "metric": "macro_f1",
    "candidate": 0.9712,
    "champion": 0.95,
    "champion_version": "2",
    "registered_version": "3",
}


class FakeJobs:
    def __init__(self, decision: dict, fail: str | None = None) -> None:
        self.decision, self.fail, self.downloads = decision, fail, []

    def download(self, name, output_name, download_path):
        self.downloads.append((name, output_name))
        if output_name == self.fail:
            raise RuntimeError("output not found")
        folder = Path(download_path) / "named-outputs" / output_name
        folder.mkdir(parents=True, exist_ok=True)
        document = METRICS if output_name == "evaluation" else self.decision
        name_of = training_report.OUTPUTS[output_name]
        (folder / name_of).write_text(json.dumps(document), encoding="utf-8")


def report(monkeypatch, tmp_path, jobs, *, log="submitted brave_fox_1: https://ml.azure.com/x\n"):
    monkeypatch.chdir(ROOT)
    submit_log = tmp_path / "submit.log"
    submit_log.write_text(
        "validation passed\n" + log + "brave_fox_1: Completed\n", encoding="utf-8"
    )
    args = ["--submit-log", str(submit_log), "--output-dir", str(tmp_path / "out")]
    return training_report.main(args, connect=lambda config: SimpleNamespace(jobs=jobs))


def test_the_report_publishes_metrics_and_tags_a_registered_model(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("TF_BUILD", "True")
    jobs = FakeJobs(DECISION)
    assert report(monkeypatch, tmp_path, jobs) == 0
    assert jobs.downloads == [("brave_fox_1", "evaluation"), ("brave_fox_1", "decision")]
    out_dir = tmp_path / "out"
    assert json.loads((out_dir / "metrics.json").read_text()) == METRICS
    summary = (out_dir / "summary.md").read_text()
    assert "**Registered** as version 3" in summary
    assert "| accuracy | 0.9767 |" in summary and "| registered model | 0.9500 (v2) |" in summary
    out = capsys.readouterr().out
    assert f"##vso[task.uploadsummary]{(out_dir / 'summary.md').resolve()}" in out
    assert "##vso[build.addbuildtag]model-registered" in out


def test_a_model_the_gate_kept_out_does_not_start_a_deployment(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("TF_BUILD", "True")
    kept = {**DECISION, "register": False, "registered_version": None, "reason": "not better"}
    assert report(monkeypatch, tmp_path, FakeJobs(kept)) == 0
    out = capsys.readouterr().out
    assert "**Not registered**" in out and "addbuildtag" not in out


def test_a_missing_output_fails_the_report_naming_it(monkeypatch, tmp_path, capsys):
    assert report(monkeypatch, tmp_path, FakeJobs(DECISION, fail="decision")) == 1
    assert "output 'decision' not downloaded" in capsys.readouterr().err


def test_a_log_without_a_submitted_job_fails_clearly(monkeypatch, tmp_path, capsys):
    assert report(monkeypatch, tmp_path, FakeJobs(DECISION), log="aml: error: not logged in\n") == 1
    assert "no 'submitted <job name>:' line" in capsys.readouterr().err
