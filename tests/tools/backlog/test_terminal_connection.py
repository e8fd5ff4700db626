"""A server that does not answer: quiet retries, one progress line, one error naming the cause.

Refused (nothing listens on the port) fails fast; lost (the connection drops mid-request) is
retried up to the policy's budget. Bounds are on attempts, never on wall time.
"""

from __future__ import annotations

import collections
import contextlib
import io
import socket
import threading

import pytest

pytest.importorskip("azure.devops", reason="needs the backlog extra")

from backlog import cli  # noqa: E402
from backlog.ado import retry, transport  # noqa: E402
from backlog.ado.errors import ConnectionLostError, RefusedConnectionError  # noqa: E402
from backlog.ado.progress import CLEAR_LINE, Progress, Waiting  # noqa: E402
from backlog.ado.retry import RetryPolicy  # noqa: E402
from backlog.apply import ApplyOptions, run_apply  # noqa: E402
from fake_ado.harness import fast_policy, tiny_plan  # noqa: E402

PAT = "pat-that-must-not-show-0123456789"


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound once, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def attempts(monkeypatch) -> collections.Counter:
    """Requests the client tried to send, by operation (method and path)."""
    counter: collections.Counter = collections.Counter()
    prepare = transport.prepare

    def counting(request, headers):
        operation, headers, write = prepare(request, headers)
        counter[operation] += 1
        return operation, headers, write

    monkeypatch.setattr(transport, "prepare", counting)
    return counter


def error_and_progress(err: str) -> tuple[list[str], list[str]]:
    """stderr's final error line(s) and the rest (progress)."""
    lines = [line for line in err.splitlines() if line.strip()]
    errors = [line for line in lines if "cannot reach" in line]
    return errors, [line for line in lines if line not in errors]


def test_a_refused_connection_fails_fast_with_one_line_naming_it(attempts, monkeypatch, capsys):
    port = closed_port()
    url = f"http://127.0.0.1:{port}/org"
    monkeypatch.setenv("AZURE_DEVOPS_EXT_PAT", PAT)

    code = cli.main(["apply", "--org-url", url, "--project", "P", "--team", "T"])

    out, err = capsys.readouterr()
    (error,), progress = error_and_progress(err)
    assert code == 2
    assert "connection refused" in error and f"127.0.0.1:{port}" in error and url in error
    assert len(progress) <= 1, progress
    assert PAT not in out + err
    assert "retry" not in out
    assert attempts, "something was tried"
    assert max(attempts.values()) <= RetryPolicy().refused_attempts, attempts


def test_a_dropped_connection_is_retried_and_named_lost(attempts):
    """A server that accepts and closes without answering: a lost answer, not a refusal."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def drop_every_connection() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                return
            with connection:
                connection.recv(65536)

    threading.Thread(target=drop_every_connection, daemon=True).start()
    options = ApplyOptions(
        org_url=f"http://127.0.0.1:{server.getsockname()[1]}/org",
        project="P",
        team="T",
        retry_policy=fast_policy(max_attempts=3),
        environ={"AZURE_DEVOPS_EXT_PAT": PAT},
        timeout_s=5.0,
    )
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            code = run_apply(tiny_plan(), options, out=io.StringIO())
    finally:
        stop.set()
        server.close()

    (error,), progress = error_and_progress(err.getvalue())
    assert code == 2
    assert "connection lost" in error and "refused" not in error
    assert "gave up after 3 attempts" in error
    assert len(progress) <= 1, progress
    assert set(attempts.values()) == {3}, "reads are resent up to the policy's budget"


def test_retry_budget_depends_on_the_cause():
    calls = collections.Counter()

    def failing(cause: BaseException):
        def send():
            calls[type(cause).__name__] += 1
            raise ConnectionLostError("GET /x: no answer from Azure DevOps") from cause

        return send

    policy = fast_policy(max_attempts=5, refused_attempts=2)
    with pytest.raises(RefusedConnectionError, match="connection refused.*after 2 attempts"):
        retry.call(failing(ConnectionRefusedError()), policy=policy, idempotent=True, what="x")
    with pytest.raises(ConnectionLostError, match="connection lost.*after 5 attempts"):
        retry.call(failing(ConnectionResetError()), policy=policy, idempotent=True, what="x")

    assert calls == {"ConnectionRefusedError": 2, "ConnectionResetError": 5}


def test_a_refusal_names_host_and_port_but_never_the_urls_credentials():
    import requests

    port = closed_port()
    try:
        requests.get(f"http://someone:{PAT}@127.0.0.1:{port}/org", timeout=5)
    except requests.ConnectionError as cause:
        lost = ConnectionLostError("GET /org: no answer from Azure DevOps")
        lost.__cause__ = cause
    named = transport.name_failure(lost)

    assert isinstance(named, RefusedConnectionError)
    assert f"refused by 127.0.0.1:{port}" in str(named)
    assert PAT not in str(named) and "someone" not in str(named)


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_waits_share_one_status_line_rewritten_in_place_on_a_terminal():
    terminal = FakeTerminal()
    progress = Progress(stream=terminal)

    for n in range(1, 21):
        progress.note(Waiting(f"read work items: connection lost; retry {n} of 20 in 0.5 s"))
    progress.note(Waiting(""))

    shown = terminal.getvalue()
    assert "\n" not in shown, "never a new line"
    assert shown.count(CLEAR_LINE) == 21 and shown.endswith(CLEAR_LINE)


def test_waits_elsewhere_print_one_line_and_json_output_none():
    log, quiet = io.StringIO(), io.StringIO()
    for progress in (Progress(stream=log), Progress(enabled=False, stream=quiet)):
        for n in range(1, 21):
            progress.note(Waiting(f"read work items: connection lost; retry {n} of 20"))
        progress.note(Waiting(""))

    assert log.getvalue().splitlines() == [
        "read work items: connection lost; retry 1 of 20 (further waits not shown)"
    ]
    assert quiet.getvalue() == ""
