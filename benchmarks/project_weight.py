"""Weight of a default bake: what the team owns against what the template manages.

    python benchmarks/project_weight.py [--venvs] [--runs 3]

Prints, for a default bake (hooks on, as a user gets it):
- lines of code by part: the team's code (src/, data checks, scripts), its tests, and the
  template's tools (tools/), with the team's share;
- the test count of `make test` (the team's fast suite) and of `make test-all`;
- the wall time of `make test`, median of --runs, against `make test-all` measured in the same
  run (the baseline: what every test costs); the target is `make test` <= 30 s on 2 cores;
- with --venvs: the size of a fresh venv per extra (core, +backlog, +aml, +data, +dev) and the
  import time of each extra's main module, built with this interpreter's `-m venv` and pip
  (minutes, and it needs the package index).
Exit code 1 when `make test` misses its target.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parents[1]
ANSWERS = {"first_sprint_start": "2027-01-04", "aml_endpoint_name": "penguin-bench-ab12"}
TARGET_MAKE_TEST_S = 30.0
# extra -> the module whose import time a user pays when they use it
EXTRAS = {
    "core": "mlflow, sklearn.ensemble",  # what every step imports
    "backlog": "azure.devops.connection",  # `azure.devops` alone is an empty namespace
    "aml": "azure.ai.ml",
    "data": "great_expectations",
    "dev": "pytest",
}


def bake(out: Path) -> Path:
    project = cookiecutter(str(TEMPLATE), no_input=True, extra_context=ANSWERS, output_dir=str(out))
    return Path(project)


def code_lines(files: list[Path]) -> int:
    """Non-blank lines that are not comment-only, over Python files."""
    total = 0
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            stripped = line.strip()
            total += bool(stripped) and not stripped.startswith("#")
    return total


def lines_by_part(project: Path) -> dict[str, int]:
    python = [p for p in project.rglob("*.py") if ".git" not in p.parts]
    tools = [p for p in python if p.relative_to(project).parts[0] == "tools"]
    tests = [p for p in python if p.relative_to(project).parts[0] == "tests"]
    team = [p for p in python if p not in tools and p not in tests]
    return {
        "team code": code_lines(team),
        "team tests": code_lines(tests),
        "template tools": code_lines(tools),
    }


def environment(project: Path, scratch: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        MLFLOW_TRACKING_URI=f"sqlite:///{scratch / 'mlflow.db'}",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def collected(project: Path, env: dict[str, str], *marker: str) -> int:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *marker],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return sum(1 for line in done.stdout.splitlines() if "::" in line)


def make(project: Path, env: dict[str, str], target: str) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        ["make", target, f"PYTHON={sys.executable}"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"make {target} failed:\n{(done.stdout + done.stderr)[-3000:]}")
    return elapsed


def venv_weights(project: Path, scratch: Path) -> list[tuple[str, float, float | None]]:
    """(extra, venv size in MB, import seconds of its main module) for each extra alone."""
    rows = []
    for extra, module in EXTRAS.items():
        venv = scratch / f"venv-{extra}"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        python = venv / "bin" / "python"
        pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        subprocess.run([*pip, "--upgrade", "pip"], check=True)
        target = "." if extra == "core" else f".[{extra}]"
        subprocess.run([*pip, target], cwd=project, check=True)
        size = sum(p.stat().st_size for p in venv.rglob("*") if p.is_file()) / 1e6
        seconds = None
        if module:
            code = f"import time; t = time.perf_counter(); import {module}; "
            code += "print(time.perf_counter() - t)"
            done = subprocess.run(
                [str(python), "-c", code], capture_output=True, text=True, check=True
            )
            seconds = float(done.stdout.strip().splitlines()[-1])
        rows.append((extra, size, seconds))
        shutil.rmtree(venv)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of make test (median)")
    parser.add_argument("--venvs", action="store_true", help="also build one venv per extra")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        project = bake(scratch / "out")
        env = environment(project, scratch)

        lines = lines_by_part(project)
        team = lines["team code"] + lines["team tests"]
        print("lines of Python (code, not blank or comment):")
        for part, count in lines.items():
            print(f"  {part:<16} {count:>6}")
        print(f"  team share       {team / (team + lines['template tools']):>6.0%}")

        fast, everything = collected(project, env, "-m", "not slow"), collected(project, env)
        print(f"tests: make test {fast}, make test-all {everything}")

        make(project, env, "test")  # warm-up: byte-compiled files and disk cache
        times = [make(project, env, "test") for _ in range(args.runs)]
        baseline = make(project, env, "test-all")
        median = statistics.median(times)
        print(
            f"make test {median:.1f} s (median of {args.runs};"
            f" target <= {TARGET_MAKE_TEST_S:.0f} s), make test-all {baseline:.1f} s,"
            f" ratio {median / baseline:.2f}"
        )

        if args.venvs:
            print("fresh venv per extra (size, import time of its main module):")
            for extra, size, seconds in venv_weights(project, scratch):
                imported = f"{seconds:.1f} s" if seconds is not None else "-"
                print(f"  {extra:<8} {size:>7.0f} MB   import {imported}")
    return 0 if median <= TARGET_MAKE_TEST_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
