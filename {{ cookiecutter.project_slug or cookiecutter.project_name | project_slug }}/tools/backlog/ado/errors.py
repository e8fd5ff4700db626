"""The errors the Azure DevOps adapter raises, so callers never see SDK or HTTP-library types.

Messages are one line, name the operation and never contain a credential: they are built from
the operation name, the status code and the service's own message only (the service never
echoes the Authorization header).
"""

from __future__ import annotations

# What the tool needs, per scope, in the words of a PAT's "Edit" page (the REST reference lists
# vso.work_write for every write it sends, vso.project for reading the project and
# vso.project_write for Set Project Properties, where the three-way base is kept).
SCOPE_HINT = (
    "the PAT needs the scopes Work Items (Read & write) = vso.work_write and "
    "Project and Team (Read & write) = vso.project_write (the sync base is a project property)"
)


class AdoError(Exception):
    """Any failure talking to Azure DevOps."""


class ConfigError(AdoError):
    """The organization, project or team given cannot be used (exit code 2)."""


class AuthError(AdoError):
    """401 or 403: the credential is missing, wrong or lacks a permission (exit code 3)."""


class HttpError(AdoError):
    """A non-2xx answer the caller may handle (404 missing, 409 exists, 400 rejected)."""

    def __init__(self, operation: str, status: int, message: str, type_key: str = "") -> None:
        self.operation = operation
        self.status = status
        self.service_message = message
        self.type_key = type_key
        super().__init__(f"{operation}: HTTP {status}: {message}")


class ThrottledError(AdoError):
    """429, or 503 with Retry-After: the service asks us to wait ``retry_after`` seconds."""

    def __init__(self, operation: str, status: int, retry_after: float | None) -> None:
        self.operation = operation
        self.status = status
        self.retry_after = retry_after
        super().__init__(f"{operation}: HTTP {status} (retry after {retry_after} s)")


class ServerError(AdoError):
    """A 5xx without Retry-After: the request may or may not have been applied."""

    def __init__(self, operation: str, status: int, message: str = "") -> None:
        self.operation = operation
        self.status = status
        super().__init__(f"{operation}: HTTP {status} {message}".rstrip())


class ConnectionLostError(AdoError):
    """No answer (reset, dropped, timed out): a write may or may not have been applied."""

    cause = ""  # "lost" or "timed out" once transport.name_failure has looked at it


class RefusedConnectionError(ConnectionLostError):
    """Nothing accepted the connection (wrong URL, port or proxy): the request was never sent.

    A ConnectionLostError, so every caller that handles "no answer" handles it too; retry.py
    gives it a short budget, as resending to a closed port does not open it.
    """

    cause = "refused"


def auth_message(operation: str, status: int, service_message: str = "") -> str:
    """The one line shown for a 401/403, naming what to grant."""
    if status == 401:
        return (
            f"Azure DevOps refused the credentials ({operation}, HTTP 401): set "
            f"AZURE_DEVOPS_EXT_PAT to a valid PAT or sign in with az login; {SCOPE_HINT}"
        )
    detail = f" ({service_message})" if service_message else ""
    return (
        f"Azure DevOps denied {operation} (HTTP 403){detail}: {SCOPE_HINT}, and the identity "
        "needs Contributor rights plus 'Create child nodes' on the iteration root, "
        "team administrator rights for team settings and board columns, and 'Edit "
        "project-level information' for the sync base"
    )
