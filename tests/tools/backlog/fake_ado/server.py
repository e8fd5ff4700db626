"""The local Azure DevOps server: HTTP on 127.0.0.1, one organization with one project.

Every request is matched against ``backlog/ado/operations.json`` (method, route, api-version);
anything else is answered 400 and listed in ``violations`` so the test fails. Faults are
injected on request: latency, 429/503 with Retry-After, dropped connections after a write is
applied, a "crash" after K batches, a low X-RateLimit-Remaining, 403 for chosen operations.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import random
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from backlog.ado.client import OPERATIONS  # the product's list: the server accepts no other

from fake_ado import routes
from fake_ado.processes import process_named
from fake_ado.state import Project, ServiceError

READ_POSTS = ("wit.wiql", "wit.work_items_batch_get")
RUNNER = "Dana Lead <dana@example.org>"  # whoever runs apply with the default credential


@dataclass
class Faults:
    """What to inject. Request numbers count every request from 1."""

    latency_s: float = 0.0
    # "429"/"503": refused, not applied; "drop": applied, connection closed without an answer;
    # "500": applied, then answered with an error; "503-applied": applied, then answered 503
    # WITHOUT Retry-After (a gateway timing out on a large request); "203": not applied, a
    # sign-in page instead of the answer (a credential that stopped working, no Suppress);
    # "bad-date": a 200 whose dates the SDK's models cannot read.
    scripted: dict[int, str] = field(default_factory=dict)  # request number -> fault
    retry_after: str = "0"
    random_rate: float = 0.0  # chance per request of a random 429 / 503 / drop / 500
    seed: int = 0
    crash_after_batches: int | None = None  # then every request is dropped, unapplied
    rate_limit_remaining: float | None = None
    forbidden: set[str] = field(default_factory=set)  # operation names answered 403
    on_op: dict[str, list[str]] = field(default_factory=dict)  # op -> faults for its next calls
    edits_before_batch: int = 0  # next N $batch calls: someone edits every item just before


@dataclass
class Recorded:
    number: int
    op: str
    method: str
    path: str
    query: dict[str, str]
    api_version: str | None
    headers: dict[str, str]
    body: Any
    status: int
    fault: str = ""

    @property
    def is_write(self) -> bool:
        return self.method not in ("GET", "OPTIONS", "HEAD") and self.op not in READ_POSTS


class Organization:
    """State + request log, shared by the handler threads under one lock."""

    def __init__(
        self,
        name: str,
        project: Project,
        pat: str,
        tokens: set[str],
        people: dict[str, str] | None = None,
    ) -> None:
        self.name = name
        self.project = project
        self.pat = pat
        self.tokens = tokens
        # credential -> identity; the default PAT (and any Entra token) is the one who applies
        self.people = {pat: RUNNER, **(people or {})} if pat else dict(people or {})
        self.caller = RUNNER  # identity of the request being answered (under the lock)
        self.operations = json.loads(OPERATIONS.read_text(encoding="utf-8"))["operations"]
        self.routes = [(op, _route_regex(op["route"])) for op in self.operations]
        self.ids = itertools.count(1)
        self.lock = threading.RLock()
        self.requests: list[Recorded] = []
        self.violations: list[str] = []
        self.errors: list[str] = []  # exceptions in the server itself (a bug in the fake)
        self.faults = Faults()
        self.batches = 0
        self.rng = random.Random(0)

    def next_id(self) -> int:
        return next(self.ids)

    def identity(self, header: str) -> str | None:
        """Who the credential in ``header`` is; None when the service would refuse it."""
        if header.startswith("Basic "):
            try:
                user_pass = base64.b64decode(header[6:]).decode("utf-8")
            except ValueError:
                return None
            return self.people.get(user_pass.split(":", 1)[-1]) if user_pass else None
        if header.startswith("Bearer ") and header[7:] in self.tokens:
            return RUNNER
        return None

    def authorized(self, header: str) -> bool:
        return self.identity(header) is not None

    def match(self, method: str, path: str) -> tuple[dict[str, Any] | None, dict[str, str]]:
        prefix = f"/{self.name}/"
        if not path.lower().startswith(prefix.lower()):
            return None, {}
        rest = path[len(prefix) :]
        for op, regex in self.routes:
            found = regex.match(rest)
            if found and op["method"] == method:
                return op, {k: unquote(v) for k, v in found.groupdict().items() if v is not None}
            if found and method == op.get("fallback_method"):
                return op, {}
        return None, {}


def _route_regex(route: str) -> re.Pattern[str]:
    pattern = ""
    for part in re.split(r"(\{\*?\w+\})", route):
        if part.startswith("{*"):
            pattern = pattern.rstrip("/") + rf"(?:/(?P<{part[2:-1]}>.*))?"
        elif part.startswith("{"):
            pattern += rf"(?P<{part[1:-1]}>[^/]+)"
        else:
            pattern += re.escape(part)
    return re.compile(f"^{pattern}/?$", re.IGNORECASE)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # One buffered write per answer (headers and body together): unbuffered, the body's
    # separate small packet waits for a delayed ACK and adds ~40 ms to every request.
    wbufsize = 1 << 16
    server: Any

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return None  # quiet: the recorded requests are the log

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(2)

    def _handle(self) -> None:
        org: Organization = self.server.org
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = "<invalid json>"
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        suppressed = self.headers.get("X-TFS-FedAuthRedirect", "").lower() == "suppress"
        # The spec declares api-version "in: query, required": the Accept header does not count.
        api_version = query.get("api-version")
        faults = org.faults
        if faults.latency_s:
            time.sleep(faults.latency_s)
        with org.lock:
            number = len(org.requests) + 1
            if not url.path.lower().startswith(f"/{org.name.lower()}/"):
                # What the service says for an organization that does not exist.
                message = f"VS800075: The organization in {url.path} does not exist."
                self._send(404, {"message": message, "typeKey": "HostNotFoundException"})
                return
            op, params = org.match(self.command, url.path)
            record = Recorded(
                number,
                op["name"] if op else "?",
                self.command,
                url.path,
                query,
                api_version,
                {k: v for k, v in self.headers.items() if k.lower() != "authorization"},
                body,
                0,
            )
            org.requests.append(record)
            fault = self._fault(org, op, number)
            record.fault = fault
            if fault in ("429", "503"):
                record.status = int(fault)
                message = {"message": f"TF400733: The request has been canceled ({fault})."}
                self._send(int(fault), message, {"Retry-After": faults.retry_after})
                return
            if fault == "dead":
                self._drop()
                return
            if fault == "203" or (fault == "203-unless-suppressed" and not suppressed):
                record.status = 203
                page = b"<html><body>Sign in to your account</body></html>"
                self.send_response(203)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)
                return
            if fault == "bad-date":
                record.status = 200
                value = [{"id": "x", "name": "Sprint 1", "attributes": {"startDate": "soon"}}]
                self._send(200, {"count": 1, "value": value})
                return
            if op and op["name"] == "wit.batch" and faults.edits_before_batch > 0:
                faults.edits_before_batch -= 1
                for item in org.project.items.values():  # a person saved each item meanwhile
                    item["rev"] += 1
            status, payload = self._answer(org, op, params, query, body, api_version, record)
            record.status = status
            if op and op["name"] == "wit.batch" and status == 200:
                org.batches += 1
            if fault == "drop":  # applied, but the answer never arrives
                self._drop()
                return
            if fault == "500":  # applied, then the service fails while answering
                record.status = 500
                self._send(500, {"message": "VS402000: An unexpected error occurred."})
                return
            if fault == "503-applied":  # applied, then a gateway gives up: no Retry-After
                record.status = 503
                self._send(503, {"message": "The service is unavailable."})
                return
            headers = {}
            if faults.rate_limit_remaining is not None:
                headers["X-RateLimit-Remaining"] = f"{faults.rate_limit_remaining:g}"
            self._send(status, payload, headers)

    def _fault(self, org: Organization, op: dict[str, Any] | None, number: int) -> str:
        faults = org.faults
        if faults.crash_after_batches is not None and org.batches >= faults.crash_after_batches:
            return "dead"
        if number in faults.scripted:
            return faults.scripted[number]
        queued = faults.on_op.get(op["name"]) if op else None
        if queued:
            return queued.pop(0)
        if faults.random_rate and op and org.rng.random() < faults.random_rate:
            return org.rng.choice(["429", "503", "drop", "500"])
        return ""

    def _answer(self, org, op, params, query, body, api_version, record) -> tuple[int, Any]:
        caller = org.identity(self.headers.get("Authorization", ""))
        if caller is None:
            return 401, {"message": "TF400813: The user is not authorized to access this resource."}
        if op is None:
            org.violations.append(f"unknown operation {self.command} {record.path}")
            return 400, {"message": f"The local server does not know {self.command} {record.path}"}
        if op["api_version"] and api_version != op["api_version"]:
            org.violations.append(
                f"{op['name']}: api-version {api_version} in the query string "
                f"(expected {op['api_version']})"
            )
            if api_version is None:
                return 400, {"message": "VS403001: The api-version query parameter is required."}
            return 400, {"message": f"VS403002: api-version {api_version} is not supported."}
        if op["name"] in org.faults.forbidden:
            return 403, {
                "message": f"TF400813: Access denied for {op['name']}: the identity "
                "lacks the permission.",
                "typeKey": "UnauthorizedAccessException",
            }
        base = f"http://{self.headers.get('Host')}/{org.name}"
        org.caller = caller
        content_type = self.headers.get("Content-Type", "")
        request = routes.Request(op, params, query, body, base, content_type)
        try:
            return routes.handle(org, request)
        except ServiceError as error:
            return error.status, {"message": error.message, "typeKey": error.type_key}

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_OPTIONS = _handle  # noqa: N815


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up mid-answer (or a dropped connection) is part of the tests;
        # anything else is kept for the test to see instead of being printed.
        error = sys.exc_info()[1]
        if not isinstance(error, ConnectionError | OSError):
            self.org.errors.append(repr(error))  # type: ignore[attr-defined]


class FakeAdo:
    """Start with ``with FakeAdo(process="scrum") as ado:``; ``ado.url`` is the org URL."""

    def __init__(
        self,
        process: str = "agile",
        *,
        project: str = "Penguin Species Classifier",
        teams: list[str] | None = None,
        pat: str = "local-test-pat",
        tokens: set[str] | None = None,
        backlog_iteration: bool = True,
        org: str = "fabrikam",
        people: dict[str, str] | None = None,
    ) -> None:
        teams = teams or [f"{project} Team"]
        state = Project(project, process_named(process), teams, backlog_iteration)
        self.org = Organization(org, state, pat, tokens or set(), people)
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/{self.org.name}"

    @property
    def faults(self) -> Faults:
        return self.org.faults

    def set_faults(self, faults: Faults) -> None:
        with self.org.lock:
            self.org.faults = faults
            self.org.batches = 0
            self.org.rng = random.Random(faults.seed)

    @property
    def requests(self) -> list[Recorded]:
        return self.org.requests

    @property
    def violations(self) -> list[str]:
        return self.org.violations

    def start(self) -> FakeAdo:
        self._httpd = _Server(("127.0.0.1", 0), Handler)
        self._httpd.org = self.org  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeAdo:
        return self.start()

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.stop()
        # A request outside operations.json, or a crash inside the fake, fails the test.
        if exc_type is None and (self.violations or self.org.errors):
            raise AssertionError(f"local Azure DevOps: {self.violations + self.org.errors}")
