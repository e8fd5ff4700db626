"""Run a baked project's commands with no network but loopback, and record every attempt to
reach anything else.

Two layers: a network namespace with only ``lo`` up (``unshare -n``, where the machine allows
it) so nothing can leave, and a ``sitecustomize`` audit hook in every Python process started
(tests, CLIs they spawn, xdist workers) that writes each non-loopback DNS lookup or connect
to a log, so a call that would have left is still seen and named. The environment is scrubbed
of the CI markers with which MLflow silently turns its telemetry off, so the run sees what a
user's laptop sees.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path

SITECUSTOMIZE = """
import os, sys

_LOG = os.environ.get("NETWORK_ATTEMPTS_LOG")
_LOCAL = {"localhost", "0.0.0.0", "::1", "", None}


def _local(host):
    host = host.decode() if isinstance(host, bytes) else host
    return host in _LOCAL or str(host).startswith("127.")


def _record(what):
    with open(_LOG, "a", encoding="utf-8") as log:
        log.write(f"{what} (pid {os.getpid()}: {' '.join(sys.argv)[:160]})\\n")


def _hook(event, args):
    if event == "socket.getaddrinfo" and not _local(args[0]):
        _record(f"getaddrinfo {args[0]}:{args[1]}")
    elif event in ("socket.connect", "socket.sendto"):
        address = args[1] if event == "socket.connect" else args[-1]
        if isinstance(address, tuple) and address and not _local(address[0]):
            _record(f"{event} {address[:2]}")


if _LOG:
    sys.addaudithook(_hook)
"""

# Variables whose mere presence makes MLflow treat the process as CI and skip telemetry
# (mlflow.telemetry.utils._is_ci_env_or_testing); a user's shell has none of them.
CI_MARKERS = (
    "PYTEST_CURRENT_TEST",
    "GITHUB_ACTIONS",
    "CI",
    "CIRCLECI",
    "GITLAB_CI",
    "JENKINS_URL",
    "TRAVIS",
    "TF_BUILD",
    "BITBUCKET_BUILD_NUMBER",
    "CODEBUILD_BUILD_ARN",
    "BUILDKITE",
    "TEAMCITY_VERSION",
    "CLOUD_RUN_EXECUTION",
    "RUNBOT_HOST_URL",
    "RUNBOT_BUILD_NAME",
    "RUNBOT_WORKER_ID",
)


@functools.cache
def namespace_available() -> bool:
    """Whether ``unshare -n`` with loopback up works here (root, or user namespaces)."""
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-n", "sh", "-c", "ip link set lo up"], capture_output=True, check=False
    )
    return probe.returncode == 0


def offline(argv: list[str], env: dict[str, str], scratch: Path) -> tuple[list[str], Path]:
    """``argv`` wrapped to run offline and ``env`` changed in place; returns the new argv and
    the log file that lists every non-loopback attempt (absent when there was none)."""
    hook_dir = scratch / "network-audit"
    hook_dir.mkdir(parents=True, exist_ok=True)
    (hook_dir / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    log = hook_dir / "attempts.log"
    log.unlink(missing_ok=True)
    for marker in CI_MARKERS:
        env.pop(marker, None)
    env["PYTHONPATH"] = (
        f"{hook_dir}:{env['PYTHONPATH']}" if env.get("PYTHONPATH") else str(hook_dir)
    )
    env["NETWORK_ATTEMPTS_LOG"] = str(log)
    if namespace_available():
        argv = ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "offline", *argv]
    return argv, log


def attempts(log: Path) -> list[str]:
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []
