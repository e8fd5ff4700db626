"""No secret reaches output, logs, files or exception texts, whatever happens during apply."""

from __future__ import annotations

import base64
import logging
import os
import traceback
from pathlib import Path

from backlog.ado import auth
from backlog.ado.client import AdoClient
from backlog.ado.errors import AdoError
from fake_ado import FakeAdo, Faults
from fake_ado.harness import apply, fast_policy

PAT = "pat-SECRET-9f3c1e7d5b"
WRONG_PAT = "pat-WRONG-0a1b2c3d4e"
TOKEN = "entra-SECRET-token-55aa"


def forms(secret: str) -> list[str]:
    """The secret as it could leak: plain, and as the Basic header encodes it."""
    return [secret, base64.b64encode(f":{secret}".encode()).decode()]


SECRETS = [form for s in (PAT, WRONG_PAT, TOKEN) for form in forms(s)]


def leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def files_text(*roots: Path) -> str:
    chunks = []
    for root in roots:
        for path in root.rglob("*") if root.exists() else []:
            if path.is_file():
                chunks.append(path.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(chunks)


def test_no_secret_in_output_logs_files_or_errors(plan, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)  # the SDK and msrest log requests at DEBUG
    texts: list[str] = []
    with FakeAdo("agile", pat=PAT, tokens={TOKEN}) as ado:
        for options in (
            {},  # a clean run
            {"output": "json"},  # the machine-readable summary
            {"environ": {"AZURE_DEVOPS_EXT_PAT": WRONG_PAT}},  # refused: 401
        ):
            run = apply(ado, plan, **options)
            texts += [run.out, run.err]
        ado.set_faults(Faults(random_rate=0.3, seed=3))
        run = apply(ado, plan, retry_policy=fast_policy(max_attempts=2))  # faults, maybe fails
        texts += [run.out, run.err]
        ado.set_faults(Faults())

        # Exception texts, with their whole chain, from a refused request.
        creds = auth.credentials({"AZURE_DEVOPS_EXT_PAT": WRONG_PAT})
        client = AdoClient(ado.url, ado.org.project.name, "x", creds, fast_policy())
        try:
            client.work_item_types()
        except AdoError as error:
            texts.append("".join(traceback.format_exception(error)))
        else:
            raise AssertionError("the wrong PAT was accepted")
        texts += [repr(creds), repr(auth.credentials({}, token_credential=object()))]
        # What the server saw has the PAT only where it belongs: the Authorization header,
        # which the recorder drops; nothing else (bodies, URLs) carries it.
        texts += [repr(r) for r in ado.requests]
    texts.append(caplog.text)
    texts.append(files_text(Path(os.environ["AZURE_DEVOPS_CACHE_DIR"]), tmp_path))
    assert len(texts) > 10
    assert leaks("\n".join(texts)) == []


def test_the_pat_is_read_from_the_environment_only_and_described_without_its_value():
    assert auth.describe({"AZURE_DEVOPS_EXT_PAT": PAT}) == (
        "personal access token from AZURE_DEVOPS_EXT_PAT"
    )
    assert PAT not in repr(auth.credentials({"AZURE_DEVOPS_EXT_PAT": PAT}))
    assert "Entra" in auth.describe({})


def test_the_sdk_cache_is_reused_only_when_private_to_this_user(tmp_path, monkeypatch):
    from backlog.ado import transport

    monkeypatch.setattr(transport.tempfile, "gettempdir", lambda: str(tmp_path))
    monkeypatch.setattr(transport.getpass, "getuser", lambda: "ana")
    stable = tmp_path / "backlog-azure-devops-cache-ana"
    assert transport.sdk_cache_dir() == str(stable)  # created private, then reused
    assert stable.stat().st_mode & 0o077 == 0
    stable.chmod(0o777)  # others could plant the URLs credentials are sent to
    elsewhere = transport.sdk_cache_dir()
    assert elsewhere != str(stable) and Path(elsewhere).stat().st_mode & 0o077 == 0
