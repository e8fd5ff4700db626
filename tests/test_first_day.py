"""The generated README's first-day commands, exactly as written, on a fresh bake in a venv
made by the stock `python -m venv` (its bundled pip): what a new team runs in its first hour."""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def first_day_commands(project: Path) -> list[str]:
    """The shell lines of the generated README's 'First day' block (comments cut)."""
    readme = (project / "README.md").read_text(encoding="utf-8")
    section = readme.split("## First day", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```bash\n(.*?)```", section, re.DOTALL)
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]


def new_user_environment() -> dict[str, str]:
    """This machine's environment without the template's venv: python3.X is the system's."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if p != venv_bin)
    env["MLFLOW_DISABLE_TELEMETRY"] = env.get("MLFLOW_DISABLE_TELEMETRY", "true")
    return env


@pytest.mark.slow
def test_the_first_day_commands_work_as_written_on_a_fresh_bake(bake_fresh, run_in):
    """The venv and `make setup` need the package index; every command after them runs with
    no network but loopback, and nothing in them even tries to reach further."""
    project = bake_fresh()
    commands = first_day_commands(project)
    env = new_user_environment()
    python = commands[0].split()[0]
    if shutil.which(python, path=env["PATH"]) is None:
        pytest.skip(f"{python} is not installed here")
    assert commands[1].startswith("make setup"), commands
    assert [c.split()[0] for c in commands[2:]] == ["make"] * (len(commands) - 2), commands

    def run_script(commands: list[str], network_log: list[str] | None = None):
        """``commands`` in one bash, stopping at the first failure, as the new user's shell."""
        script = "set -euo pipefail\n" + "\n".join(commands) + "\n"
        return run_in(project, "bash", "-c", script, env=env, timeout=1500, network_log=network_log)

    setup = run_script(commands[:2])
    assert setup.returncode == 0, (setup.stdout + setup.stderr)[-4000:]

    network: list[str] = []
    done = run_script([". .venv/bin/activate", *commands[2:]], network)
    tail = (done.stdout + done.stderr)[-4000:]
    assert done.returncode == 0, tail
    assert network == [], "the first day tried to reach the network:\n" + "\n".join(network)
    assert (project / "outputs" / "evaluation" / "metrics.json").is_file(), tail
    assert "Sprint 1" in done.stdout, tail
    hook = project / ".git" / "hooks" / "pre-commit"
    assert hook.is_file(), "make setup installs the pre-commit hook into the project's own repo"
