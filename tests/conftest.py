"""Fixtures shared by the template's tests: bake projects (cached per answer set) and run
commands inside them with the same interpreter, as a user would after `make setup`."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from bakery import SHARED, STABLE_ANSWERS, TEMPLATE, bake_into, project_env  # noqa: F401
from offline import attempts, offline


@pytest.fixture(scope="session")
def bake(tmp_path_factory) -> Callable[..., Path]:
    """``bake(**answers) -> Path``; each distinct answer set is baked once per session.

    Tests must not modify a baked project; use ``bake_fresh`` for that.
    """
    cache: dict[str, Path] = {}

    def _bake(**answers) -> Path:
        key = json.dumps(answers, sort_keys=True)
        if key not in cache:
            cache[key] = bake_into(tmp_path_factory.mktemp("bake"), **answers)
        return cache[key]

    return _bake


@pytest.fixture
def bake_fresh(tmp_path) -> Callable[..., Path]:
    """``bake_fresh(**answers) -> Path``: a private bake the test may change."""
    return lambda **answers: bake_into(tmp_path, **answers)


@pytest.fixture
def run_in(tmp_path) -> Callable[..., subprocess.CompletedProcess]:
    """``run_in(project, *cmd, timeout=900, network_log=None, env=None)``: run ``cmd`` in
    ``project``; ``python`` means this interpreter. With a ``network_log`` list, the command runs
    offline (see ``offline.py``) and the list receives every attempt to reach the network.
    ``env`` replaces the baked project's environment (``project_env``), e.g. a new user's.
    Returns the completed process (stdout and stderr as text)."""

    def _run(
        project: Path,
        *cmd: str,
        timeout: int = 900,
        network_log: list | None = None,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess:
        argv = [sys.executable if part == "python" else part for part in cmd]
        env = project_env(project, tmp_path) if env is None else env
        if network_log is not None:
            # Offline, as on a laptop with no network: every attempt to reach anything but
            # loopback is appended to network_log when the command has finished.
            argv, log = offline(argv, env, tmp_path)
        try:
            return subprocess.run(
                argv,
                cwd=project,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
                stdin=subprocess.DEVNULL,
            )
        finally:
            if network_log is not None:
                network_log.extend(attempts(log))

    return _run
