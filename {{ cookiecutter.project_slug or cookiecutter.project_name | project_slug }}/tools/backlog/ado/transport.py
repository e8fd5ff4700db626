"""What every Azure DevOps request goes through, SDK or not (no ``azure.devops`` import here).

- ``prepare``: api-version in the query string with the value the REST specification documents
  (the SDK puts a negotiated preview version in Accept only), a plain Accept, and
  ``X-TFS-FedAuthRedirect: Suppress`` so a failing credential gets a 401, not a sign-in page.
  Slashes inside a node or query path are sent plain, as in the spec's examples.
- ``check``: status codes become the errors of ``errors.py`` (keeping Retry-After, which the
  SDK would drop); a successful answer paces the client on a low ``X-RateLimit-Remaining``.
- ``name_failure``: a request without an answer named by its cause - refused (nothing
  listens) or lost (dropped or timed out mid-request) - from the exceptions under it.
- ``sdk_cache_dir``: where the SDK may keep its file caches, never HOME.
"""

from __future__ import annotations

import getpass
import os
import re
import stat
import tempfile
from typing import Any
from urllib.parse import urlsplit

from backlog.ado.errors import (
    AuthError,
    ConnectionLostError,
    HttpError,
    RefusedConnectionError,
    ServerError,
    ThrottledError,
    auth_message,
)
from backlog.ado.results import number, service_message

READ_POSTS = ("/_apis/wit/wiql", "/_apis/wit/workitemsbatch")
API_VERSION = "7.1"  # the documented value of every operation used ...
PREVIEW_ONLY = re.compile(r"/_apis/projects/[^/]+/properties/?$", re.IGNORECASE)
# Routes whose last parameter is a multi-segment {*path}: the SDK quotes "/" in it as %2F,
# the spec's examples send plain slashes.
MULTI_SEGMENT = re.compile(r"/_apis/wit/(classificationnodes|queries)/", re.IGNORECASE)


def api_version_for(path: str) -> str:
    """... except Projects - Get Project Properties, documented as 7.1-preview.1 only."""
    return "7.1-preview.1" if PREVIEW_ONLY.search(path) else API_VERSION


def prepare(request: Any, headers: dict[str, Any] | None) -> tuple[str, dict[str, Any], bool]:
    """Fix up an SDK request before it is sent: (operation name, headers, is a write)."""
    url = urlsplit(request.url)
    if MULTI_SEGMENT.search(url.path) and "%2f" in url.path.lower():
        plain = re.sub("%2f", "/", url.path, flags=re.IGNORECASE)
        request.url = url._replace(path=plain).geturl()
        url = urlsplit(request.url)
    headers = dict(headers or {})
    accept = str(headers.get("Accept", ""))
    if "api-version=" in accept:
        if "api-version=" not in url.query:
            request.format_parameters({"api-version": api_version_for(url.path)})
        headers["Accept"] = accept.split(";", 1)[0]
    headers.setdefault("X-TFS-FedAuthRedirect", "Suppress")
    write = request.method not in ("GET", "OPTIONS", "HEAD") and not url.path.lower().endswith(
        READ_POSTS
    )
    return f"{request.method} {url.path}", headers, write


def check(operation: str, response: Any, policy: Any) -> None:
    """Raise the error a status code means; otherwise honour the pacing headers."""
    status = response.status_code
    retry_after = number(response.headers.get("Retry-After"))
    # 429, or a 503 WITH Retry-After, means "not processed, come back later". A 503 without it
    # (a gateway timing out on a large $batch) may have been applied: a ServerError, so a
    # non-idempotent write is reconciled by key before anything is resent.
    if status == 429 or (status == 503 and retry_after is not None):
        raise ThrottledError(operation, status, retry_after)
    message, type_key = service_message(response)
    if status in (401, 403, 203):  # 203: a sign-in page instead of the API's answer
        raise AuthError(auth_message(operation, 401 if status == 203 else status, message))
    if status >= 500:
        raise ServerError(operation, status, message)
    if status >= 300:
        raise HttpError(operation, status, message, type_key)
    policy.pace(response.headers)


def name_failure(error: ConnectionLostError) -> ConnectionLostError:
    """``error`` with its cause in the message; a RefusedConnectionError when refused.

    The cause is read from the exceptions it was raised from (requests and urllib3 keep the
    socket's own error); the place is the host and port only, never a URL's user-info.
    """
    if error.cause:
        return error
    chain = _causes(error)
    where = next((_host_port(e) for e in chain if _host_port(e)), "")
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        by = f" by {where}" if where else ""
        return RefusedConnectionError(
            f"{error}: connection refused{by} (nothing listens there: wrong URL, port or proxy?)"
        )
    timed_out = any(isinstance(e, TimeoutError) for e in chain)
    what = "timed out waiting for the answer" if timed_out else "connection lost mid-request"
    named = ConnectionLostError(f"{error}: {what}" + (f" ({where})" if where else ""))
    named.cause = "timed out" if timed_out else "lost"
    return named


def _causes(error: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    todo: list[object] = [error]
    while todo:
        current = todo.pop()
        if not isinstance(current, BaseException) or any(current is e for e in found):
            continue
        found.append(current)
        todo += [current.__cause__, current.__context__, *current.args]
        todo += [getattr(current, name, None) for name in ("inner_exception", "reason")]
    return found


def _host_port(error: BaseException) -> str:
    url = getattr(getattr(error, "request", None), "url", None)
    if not isinstance(url, str):
        return ""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname or "")


def sdk_cache_dir() -> str:
    """Where the SDK may cache its tables (no secrets): never HOME.

    One directory per user in the temp dir, reused across runs - but only while it is a real
    directory that this user owns and nobody else can write: the SDK's caches hold the URLs
    requests (with credentials) are sent to. Otherwise a fresh private directory for this run.
    """
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "user"
    path = os.path.join(tempfile.gettempdir(), f"backlog-azure-devops-cache-{user}")
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        info = os.lstat(path)
        private = stat.S_ISDIR(info.st_mode) and not info.st_mode & 0o077
        if hasattr(os, "getuid"):
            private = private and info.st_uid == os.getuid()
    except OSError:
        private = False
    return path if private else tempfile.mkdtemp(prefix="backlog-azure-devops-cache-")
