"""Fixtures shared by the template's tests: bake projects (cached per answer set) and run
commands inside them with the same interpreter, as a user would after `make setup`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter
from offline import attempts, offline

TEMPLATE = Path(__file__).resolve().parents[1]
SHARED = TEMPLATE.parent / "shared"
# cookiecutter imports the template's local Jinja extension by module name when it renders
# a hook; tests that render hooks themselves need the template on the path the same way.
sys.path.insert(0, str(TEMPLATE))

# Answers that would otherwise depend on the day or on chance, fixed so bakes are reproducible.
STABLE_ANSWERS = {
    "first_sprint_start": "2027-01-04",
    "aml_endpoint_name": "penguin-classifier-ab12",
}


def bake_into(output_dir: Path, **answers) -> Path:
    """Bake the template with ``answers`` (hooks on) and return the project folder."""
    context = {**STABLE_ANSWERS, **answers}
    project = cookiecutter(
        str(TEMPLATE), no_input=True, extra_context=context, output_dir=str(output_dir)
    )
    return Path(project)


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


def project_env(project: Path, scratch: Path) -> dict[str, str]:
    """The environment a baked project's commands run in: this interpreter's, with every
    tool's state (MLflow store, SDK caches) kept in ``scratch``, never in HOME."""
    env = dict(os.environ)
    env.update(
        {
            "MLFLOW_TRACKING_URI": f"sqlite:///{scratch / 'mlflow.db'}",
            "AZURE_DEVOPS_CACHE_DIR": str(scratch / "ado-cache"),
            "GX_ANALYTICS_ENABLED": "false",
            "PYTHONDONTWRITEBYTECODE": "1",
            "RUFF_NO_CACHE": "true",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            # What `make` and an editable install put on the path: the package and the tools.
            "PYTHONPATH": os.pathsep.join(str(project / part) for part in ("src", "tools")),
        }
    )
    for secret in ("AZURE_DEVOPS_EXT_PAT", "SYSTEM_ACCESSTOKEN"):
        env.pop(secret, None)
    return env


@pytest.fixture
def run_in(tmp_path) -> Callable[..., subprocess.CompletedProcess]:
    """``run_in(project, *cmd, timeout=900, network_log=None)``: run ``cmd`` in ``project``;
    ``python`` means this interpreter. With a ``network_log`` list, the command runs offline
    (see ``offline.py``) and the list receives every attempt to reach the network. Returns the
    completed process (stdout and stderr as text)."""

    def _run(
        project: Path, *cmd: str, timeout: int = 900, network_log: list | None = None
    ) -> subprocess.CompletedProcess:
        argv = [sys.executable if part == "python" else part for part in cmd]
        env = project_env(project, tmp_path)
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
