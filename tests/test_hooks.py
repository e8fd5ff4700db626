"""The hooks, rendered and loaded exactly as cookiecutter runs them, behave as promised:
validation uses the generated project's own naming rules, the post-generation hook never
fails a bake, creates nothing remote unless asked, and no secret ever reaches a file."""

from __future__ import annotations

import base64
import http.server
import os
import subprocess
import sys
import threading
import types
from pathlib import Path

from bakery import PROJECT_DIR, STABLE_ANSWERS, TEMPLATE
from cookiecutter.environment import StrictEnvironment
from cookiecutter.generate import generate_context
from cookiecutter.prompt import prompt_for_config


def answers(**overrides) -> dict:
    context = generate_context(
        context_file=str(TEMPLATE / "cookiecutter.json"),
        extra_context={**STABLE_ANSWERS, **overrides},
    )
    rendered = dict(prompt_for_config(context, no_input=True))
    rendered["_repo_dir"] = str(TEMPLATE)
    return {"cookiecutter": rendered}


def render_hook(name: str, context: dict) -> str:
    """hooks/<name>.py rendered with Jinja as cookiecutter renders it."""
    source = (TEMPLATE / "hooks" / f"{name}.py").read_text()
    env = StrictEnvironment(context=context, keep_trailing_newline=True)
    return env.from_string(source).render(**context)


def load_hook(name: str, context: dict) -> types.ModuleType:
    """Render hooks/<name>.py as cookiecutter does, then import the result."""
    rendered = render_hook(name, context)
    module = types.ModuleType(f"rendered_{name}")
    exec(compile(rendered, f"<rendered {name}>", "exec"), module.__dict__)  # noqa: S102
    return module


def test_pre_gen_accepts_the_default_answers():
    hook = load_hook("pre_gen_project", answers())
    assert hook.problems(hook.ANSWERS, hook.load_naming_rules()) == []


def test_pre_gen_uses_the_generated_projects_own_naming_rules():
    """One copy of the Azure DevOps rules: the hook loads tools/backlog/naming.py from the
    template."""
    hook = load_hook("pre_gen_project", answers())
    naming = hook.load_naming_rules()
    expected = TEMPLATE / PROJECT_DIR / "tools" / "backlog" / "naming.py"
    assert Path(naming.__file__) == expected
    assert naming.check_team_name("ML: Team") is not None


def test_pre_gen_reports_every_bad_field_in_prompt_order():
    hook = load_hook("pre_gen_project", answers(sprint_count="30", aml_vm_size="large"))
    found = hook.problems(hook.ANSWERS, hook.load_naming_rules())
    assert [field for field, _, _ in found] == ["sprint_count", "aml_vm_size"]


class Recorder:
    def __init__(self, exit_codes: dict[str, int] | None = None):
        self.calls: list[tuple[str, ...]] = []
        self.exit_codes = exit_codes or {}

    def __call__(self, *args: str) -> int:
        self.calls.append(args)
        return self.exit_codes.get(args[0], 0)


def post_gen(monkeypatch, tmp_path, recorder, **overrides):
    hook = load_hook("post_gen_project", answers(**overrides))
    monkeypatch.setattr(hook, "run_backlog", recorder)
    monkeypatch.chdir(tmp_path)
    return hook


def test_post_gen_writes_the_plan_and_creates_nothing_by_default(monkeypatch, tmp_path, capsys):
    recorder = Recorder()
    hook = post_gen(monkeypatch, tmp_path, recorder)
    assert hook.main() == 0
    assert recorder.calls == [("export", "--format", "md", "--output", "backlog/plan.md")]
    assert "python -m backlog apply" in capsys.readouterr().out


def test_post_gen_does_not_call_azure_for_the_placeholder_organization(monkeypatch, tmp_path):
    recorder = Recorder()
    hook = post_gen(monkeypatch, tmp_path, recorder, create_backlog_now="yes")
    assert hook.main() == 0
    assert [call[0] for call in recorder.calls] == ["export"]


def test_post_gen_applies_when_asked_and_keeps_the_project_when_boards_fail(
    monkeypatch, tmp_path, capsys
):
    recorder = Recorder(exit_codes={"apply": 3})
    hook = post_gen(
        monkeypatch,
        tmp_path,
        recorder,
        create_backlog_now="yes",
        ado_org_url="https://dev.azure.com/contoso",
    )
    assert hook.main() == 0, "a Boards failure must never fail (and so delete) the bake"
    assert [call[0] for call in recorder.calls] == ["export", "apply"]
    assert "Retry: python -m backlog apply" in capsys.readouterr().out


def test_post_gen_explains_what_to_install_when_the_azure_client_is_missing(
    monkeypatch, tmp_path, capsys
):
    recorder = Recorder()
    hook = post_gen(
        monkeypatch,
        tmp_path,
        recorder,
        create_backlog_now="yes",
        ado_org_url="https://dev.azure.com/contoso",
    )
    monkeypatch.setattr(hook.importlib.util, "find_spec", lambda name: None)
    assert hook.main() == 0
    assert [call[0] for call in recorder.calls] == ["export"], "no apply without the client"
    assert "pip install cookiecutter azure-devops azure-identity" in capsys.readouterr().out


def test_post_gen_survives_a_missing_backlog_tool(monkeypatch, tmp_path):
    """run_backlog turns an import failure into an exit code instead of an exception."""
    hook = load_hook("post_gen_project", answers())
    monkeypatch.chdir(tmp_path)  # no backlog/ package here
    # Other tests of this process may have imported the tool already: hide it entirely.
    for name in [n for n in sys.modules if n == "backlog" or n.startswith("backlog.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "backlog", None)
    monkeypatch.setitem(sys.modules, "backlog.cli", None)
    assert hook.run_backlog("plan") == 1


class _Refusing(http.server.BaseHTTPRequestHandler):
    """An Azure DevOps stand-in that refuses every request and remembers what it was sent."""

    seen: list[str] = []

    def _refuse(self) -> None:
        self.seen.append(self.headers.get("Authorization", ""))
        body = b'{"message": "TF400813: The user is not authorized to access this resource."}'
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = do_PUT = do_OPTIONS = _refuse

    def log_message(self, *args) -> None:  # keep test output clean
        pass


def test_no_secret_reaches_a_baked_file_or_a_rendered_hook(tmp_path):
    """Bake with a PAT in the environment and the backlog requested against a server that
    refuses it: the PAT travels in the request, and appears in no file written (project,
    rendered hooks in TMPDIR) and in no output."""
    pat = "fakepat" + "q" * 45
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {
        **os.environ,
        "AZURE_DEVOPS_EXT_PAT": pat,
        "TMPDIR": str(scratch),
        "AZURE_DEVOPS_CACHE_DIR": str(scratch / "ado"),
    }
    org = f"http://127.0.0.1:{server.server_address[1]}/contoso"
    code = (
        "from cookiecutter.main import cookiecutter; import sys; "
        f"cookiecutter({str(TEMPLATE)!r}, no_input=True, output_dir=sys.argv[1], "
        "extra_context={'first_sprint_start': '2027-01-04', 'aml_endpoint_name': 'ep-abcd', "
        f"'create_backlog_now': 'yes', 'ado_org_url': {org!r}}})"
    )
    out = tmp_path / "out"
    try:
        result = subprocess.run(
            [sys.executable, "-c", code, str(out)],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            stdin=subprocess.DEVNULL,
        )
    finally:
        server.shutdown()
    assert result.returncode == 0, result.stderr[-2000:]
    basic = base64.b64encode(f":{pat}".encode()).decode()
    assert f"Basic {basic}" in _Refusing.seen, "the PAT must have been sent for this to count"
    assert pat not in result.stdout + result.stderr
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    rendered_hooks = [p for p in scratch.glob("tmp*.py")]
    assert rendered_hooks == [], "each hook removes its rendered copy from the temp folder"
    assert any(p.name == "project.yml" for p in written), "the scan must see the baked files"
    leaked = [
        p for p in written if pat.encode() in p.read_bytes() or basic.encode() in p.read_bytes()
    ]
    assert leaked == []
    # git stores the first commit compressed: read it back as text too.
    for repo in {p.parent for p in tmp_path.rglob(".git")}:
        history = subprocess.run(
            ["git", "log", "-p", "--all"], cwd=repo, capture_output=True, text=True, check=True
        ).stdout
        assert "project.yml" in history, "the scan must see the committed files"
        assert pat not in history and basic not in history


def test_post_gen_removes_only_folders_left_empty(tmp_path):
    hook = load_hook("post_gen_project", answers())
    (tmp_path / "phases" / "05-ab-testing").mkdir(parents=True)
    (tmp_path / "aml" / "endpoints" / "none").mkdir(parents=True)
    (tmp_path / "aml" / "components").mkdir(parents=True)
    (tmp_path / "aml" / "components" / "train.yml").write_text("name: train\n")
    hook.remove_empty_folders(tmp_path)
    left = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    assert left == ["aml", "aml/components", "aml/components/train.yml"]
