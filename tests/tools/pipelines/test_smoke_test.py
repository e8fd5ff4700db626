"""The deploy pipeline's smoke test, against a fake AzureML client."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import smoke_test
from baked import ROOT

REQUEST = {"input_data": {"columns": ["a"], "data": [[1], [2]]}}


class FakeOnline:
    def __init__(self, answer=None, error: Exception | None = None) -> None:
        self.answer, self.error, self.calls = answer, error, []

    def invoke(self, endpoint_name, request_file, deployment_name=None):
        self.calls.append((endpoint_name, Path(request_file).name, deployment_name))
        if self.error:
            raise self.error
        return self.answer


def good_answer(rows: int = 2) -> str:
    body = {
        "predictions": ["Adelie"] * rows,
        "probabilities": [{"Adelie": 0.9, "Gentoo": 0.1}] * rows,
    }
    return json.dumps(json.dumps(body))  # the SDK hands back JSON text, sometimes twice encoded


@pytest.fixture
def request_file(tmp_path: Path) -> Path:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(REQUEST), encoding="utf-8")
    return path


def smoke(monkeypatch, online, *args: str) -> int:
    monkeypatch.chdir(ROOT)
    client = SimpleNamespace(online_endpoints=online)
    return smoke_test.main(["--environment", "prod", *args], connect=lambda config: client)


def test_a_working_green_deployment_passes(monkeypatch, request_file, capsys):
    online = FakeOnline(good_answer())
    assert (
        smoke(monkeypatch, online, "online", "--slot", "green", "--request", str(request_file)) == 0
    )
    assert online.calls[0][1:] == ("request.json", "green")
    assert "2 rows scored: Adelie, Adelie" in capsys.readouterr().out


def test_without_a_slot_the_endpoint_is_tested_as_users_reach_it(monkeypatch, request_file):
    online = FakeOnline(good_answer())
    assert smoke(monkeypatch, online, "online", "--request", str(request_file)) == 0
    assert online.calls[0][2] is None


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (json.dumps({"predictions": ["Adelie"]}), "expected 2 predictions"),
        (json.dumps({"predictions": ["Adelie", ""]}), "class name"),
        (json.dumps({"error": "bad column"}), "no 'predictions'"),
        ("<html>502</html>", "not JSON"),
        (
            json.dumps({"predictions": ["A", "B"], "probabilities": [{"A": 0.5, "B": 0.2}] * 2}),
            "sum to 0.7000",
        ),
    ],
)
def test_a_deployment_that_answers_wrongly_fails_with_the_reason(
    monkeypatch, request_file, capsys, answer, words
):
    assert smoke(monkeypatch, FakeOnline(answer), "online", "--request", str(request_file)) == 1
    err = capsys.readouterr().err
    assert err.startswith("smoke test FAILED") and words in err


def test_a_deployment_that_does_not_answer_fails(monkeypatch, request_file, capsys):
    online = FakeOnline(error=RuntimeError("(ServiceUnavailable) upstream connect error\ndetails"))
    assert smoke(monkeypatch, online, "online", "--request", str(request_file)) == 1
    assert "did not answer: (ServiceUnavailable) upstream connect error" in capsys.readouterr().err


def test_a_missing_request_file_is_a_usage_error(monkeypatch, tmp_path):
    assert smoke(monkeypatch, FakeOnline(), "online", "--request", str(tmp_path / "no.json")) == 2


@pytest.mark.parametrize(("status", "code"), [("Completed", 0), ("Failed", 1)])
def test_the_batch_smoke_test_passes_only_when_the_scoring_job_completes(monkeypatch, status, code):
    pytest.importorskip("azure.ai.ml")
    invoked = []
    batch = SimpleNamespace(
        invoke=lambda endpoint_name, input: invoked.append(input) or SimpleNamespace(name="job-1")
    )
    jobs = SimpleNamespace(get=lambda name: SimpleNamespace(status=status))
    client = SimpleNamespace(batch_endpoints=batch, jobs=jobs)
    monkeypatch.chdir(ROOT)
    assert smoke_test.main(["--environment", "prod", "batch"], connect=lambda c: client) == code
    assert invoked[0].path.endswith("request.csv")
