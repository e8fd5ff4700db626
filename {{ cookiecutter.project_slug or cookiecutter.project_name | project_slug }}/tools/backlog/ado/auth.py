"""Credentials for Azure DevOps: a PAT from the environment, else a Microsoft Entra token.

This is the only module that reads the PAT. It is read from ``AZURE_DEVOPS_EXT_PAT`` (the
variable the az devops CLI reads, and the one a pipeline maps ``$(System.AccessToken)`` to),
kept inside an msrest authentication object and never returned, printed or logged. Without a
PAT, azure-identity's ``DefaultAzureCredential`` (az login, managed identity, workload identity
federation, environment service principal) supplies a bearer token for Azure DevOps, renewed
five minutes before it expires so long runs keep working.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Mapping
from typing import Any

from msrest.authentication import Authentication, BasicAuthentication

from backlog.ado.errors import AuthError

PAT_ENV = "AZURE_DEVOPS_EXT_PAT"
# The Azure DevOps resource id; ".default" asks for the permissions the identity has there.
ADO_SCOPE = "499b84ac-1321-427f-aa17-267ca6975798/.default"
REFRESH_MARGIN_S = 300


class TokenCredentialAuth(Authentication):
    """msrest authentication that asks a TokenCredential for a fresh token when needed.

    msrest calls ``signed_session`` for every request, so the token is checked each time and
    renewed ``REFRESH_MARGIN_S`` seconds before it expires.
    """

    def __init__(self, credential: Any, scope: str = ADO_SCOPE) -> None:
        super().__init__()
        self._credential = credential
        self._scope = scope
        self._token: Any = None
        self._lock = threading.Lock()

    def _bearer(self) -> str:
        with self._lock:
            if self._token is None or self._token.expires_on - REFRESH_MARGIN_S < time.time():
                try:
                    self._token = self._credential.get_token(self._scope)
                except Exception as error:  # noqa: BLE001 - azure-identity has many error types
                    # Its message lists every credential it tried, over many lines: keep one.
                    first = (str(error).strip().splitlines() or [type(error).__name__])[0]
                    raise AuthError(
                        f"no Azure DevOps credential: set {PAT_ENV} or sign in with az login "
                        f"(azure-identity: {first[:200]})"
                    ) from None
            return self._token.token

    def signed_session(self, session: Any = None) -> Any:
        session = super().signed_session(session)
        session.headers["Authorization"] = f"Bearer {self._bearer()}"
        return session

    def __repr__(self) -> str:  # never show the token
        return "TokenCredentialAuth(<hidden>)"


class _PatAuth(BasicAuthentication):
    """Basic authentication with an empty user name and the PAT as password."""

    def __repr__(self) -> str:  # never show the PAT
        return "PatAuth(<hidden>)"


def describe(environ: Mapping[str, str] | None = None) -> str:
    """Which credential ``credentials`` will use, in words (never the secret itself)."""
    env = os.environ if environ is None else environ
    if env.get(PAT_ENV, "").strip():
        return f"personal access token from {PAT_ENV}"
    return "Microsoft Entra token from azure-identity (az login, managed or workload identity)"


def credentials(
    environ: Mapping[str, str] | None = None, token_credential: Any = None
) -> Authentication:
    """msrest credentials for the SDK: the PAT when set, else a refreshed Entra token.

    ``token_credential`` replaces ``DefaultAzureCredential`` (tests pass a fake one).
    """
    env = os.environ if environ is None else environ
    pat = env.get(PAT_ENV, "").strip()
    if pat:
        return _PatAuth("", pat)
    if token_credential is None:
        from azure.identity import DefaultAzureCredential

        # Each credential it tries logs a warning when it is not set up; the one line we print
        # when none worked says what to do instead.
        logging.getLogger("azure.identity").setLevel(logging.ERROR)

        # Interactive browser login would hang a hook or a pipeline: keep it off.
        token_credential = DefaultAzureCredential(exclude_interactive_browser_credential=True)
    return TokenCredentialAuth(token_credential)
