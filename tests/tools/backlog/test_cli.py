"""``python -m backlog``: what it prints, its exit codes, and what it hands to ``apply``."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import types

import pytest
import yaml
from backlog import cli
from backlog.config import ConfigError, config_from_mapping

ENV = ("AZURE_DEVOPS_ORG_URL", "AZURE_DEVOPS_PROJECT", "AZURE_DEVOPS_TEAM")
ORG = "https://dev.azure.com/contoso"


@dataclasses.dataclass
class FakeOptions:
    org_url: str
    project: str
    team: str
    dry_run: bool = False
    prune: bool = False
    prefer_file: bool = False
    output: str = "text"
    batch_size: int = 100


@pytest.fixture
def fake_apply(monkeypatch):
    """A stand-in ``backlog.apply`` that records what the CLI hands over, and sends nothing."""
    module = types.ModuleType("backlog.apply")
    module.calls = []
    module.exit_code = 0

    def run_apply(plan, options):
        module.calls.append((plan, options))
        return module.exit_code

    module.ApplyOptions = FakeOptions
    module.run_apply = run_apply
    monkeypatch.setitem(sys.modules, "backlog.apply", module)
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    return module


def run(*argv: str) -> int:
    return cli.main(list(argv))


def test_plan_lists_every_sprint_with_dates_and_every_story(plan, capsys):
    assert run("plan") == 0
    out = capsys.readouterr().out

    for iteration in plan.iterations:
        assert f"{iteration.name}  {iteration.start} .. {iteration.finish}" in out
    for item in plan.items:
        if item.role in ("requirement", "task"):
            assert item.title in out
    for query in plan.queries:
        assert query.name in out
    assert "WIP limit" in out


def test_plan_speaks_the_chosen_process(capsys):
    assert run("plan", "--process", "scrum") == 0
    out = capsys.readouterr().out

    assert "Product Backlog Item" in out and "effort" in out
    assert "User Story" not in out and "story points" not in out


def test_validate_passes_on_the_shipped_file(capsys):
    assert run("validate") == 0
    assert "valid" in capsys.readouterr().out


def test_validate_fails_with_one_line_per_problem(backlog_text, project_root, tmp_path, capsys):
    bad = tmp_path / "backlog.yml"
    bad.write_text(backlog_text.replace("version: 1", "version: 7", 1), encoding="utf-8")

    code = run("validate", "--root", str(project_root), "--file", str(bad))

    err = capsys.readouterr().err.splitlines()
    assert code == 1
    assert err[0].startswith("backlog.yml: version: 7 is not supported")
    assert err[-1] == "1 problem(s) in backlog.yml; nothing sent"


def test_validate_checks_the_azure_devops_target_in_project_yml(config, monkeypatch, capsys):
    bad = dataclasses.replace(config, ado_team="Data/ML", org_url="https://x:tok3n@dev.azure.com/a")
    monkeypatch.setattr(cli, "load_config", lambda root: bad)

    code = run("validate")

    err = capsys.readouterr().err.splitlines()
    assert code == 1
    assert [line.split(":")[1].strip() for line in err] == [
        "azure_devops.organization_url",
        "azure_devops.team",
    ]
    assert "tok3n" not in "\n".join(err)


@pytest.mark.parametrize(
    ("section", "field", "value", "message"),
    [
        ("azure_devops", "team_members", ["ana@example.com", "bo"],
         "project.yml: azure_devops.team_members[1]: 'bo' is not an e-mail"),
        ("project", "slug", "Penguin Classifier",
         "project.yml: project.slug: 'Penguin Classifier' must be lower-case letters"),
        ("project", "name", "two\nlines",
         "project.yml: project.name: must be one line of at most 255 characters"),
        ("azure_devops", "project", None, "project.yml: azure_devops.project: must be non-empty"),
    ],
    ids=["member-not-an-email", "slug-with-spaces", "name-on-two-lines", "project-missing"],
)  # fmt: skip
def test_project_yml_problems_are_one_line(project_root, section, field, value, message):
    data = yaml.safe_load((project_root / "project.yml").read_text(encoding="utf-8"))
    data[section][field] = value

    with pytest.raises(ConfigError) as error:
        config_from_mapping(data)

    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)


def test_apply_without_the_backlog_extra_says_how_to_install_it(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "backlog.apply", None)  # import fails as if not installed

    code = run("apply", "--org-url", ORG)

    captured = capsys.readouterr()
    assert code == 2
    assert captured.err == (
        "python -m backlog apply needs the backlog extra: pip install -e '.[backlog]'\n"
    )
    assert captured.out == ""


def test_apply_hands_over_the_plan_and_project_yml_defaults(fake_apply, plan, config):
    assert run("apply", "--org-url", ORG) == 0

    ((sent_plan, options),) = fake_apply.calls
    assert sent_plan == plan
    assert options == FakeOptions(ORG, config.ado_project, config.ado_team)


def test_flags_win_over_environment(fake_apply, monkeypatch):
    monkeypatch.setenv("AZURE_DEVOPS_ORG_URL", "https://dev.azure.com/from-env")
    monkeypatch.setenv("AZURE_DEVOPS_PROJECT", "Env Project")
    monkeypatch.setenv("AZURE_DEVOPS_TEAM", "Env Team")

    argv = ["--org-url", ORG, "--project", "Flag Project", "--team", "Flag Team"]
    assert run("apply", *argv, "--dry-run", "--output", "json") == 0

    ((_, options),) = fake_apply.calls
    assert (options.org_url, options.project, options.team) == (ORG, "Flag Project", "Flag Team")
    assert (options.dry_run, options.prune, options.output) == (True, False, "json")


def test_environment_wins_over_project_yml_and_another_project_gets_its_own_team(
    fake_apply, monkeypatch
):
    monkeypatch.setenv("AZURE_DEVOPS_ORG_URL", "http://tfs.example.com:8080/tfs/DefaultCollection")
    monkeypatch.setenv("AZURE_DEVOPS_PROJECT", "Env Project")

    assert run("apply") == 0

    ((_, options),) = fake_apply.calls
    assert options.org_url == "http://tfs.example.com:8080/tfs/DefaultCollection"
    assert (options.project, options.team) == ("Env Project", "Env Project Team")


@pytest.mark.parametrize(
    ("argv", "env", "first_words"),
    [
        (["--org-url", "https://dev.azure.com/your-organization"], {}, "--org-url: "),
        (["--org-url", "ftp://example.com/x"], {}, "--org-url: organization URL 'ftp://"),
        ([], {"AZURE_DEVOPS_ORG_URL": "https://dev.azure.com/a/b"}, "AZURE_DEVOPS_ORG_URL: "),
        (["--org-url", ORG, "--project", "Bad/Project"], {}, "--project: Azure DevOps project"),
        (["--org-url", ORG], {"AZURE_DEVOPS_TEAM": "a:b"}, "AZURE_DEVOPS_TEAM: team 'a:b'"),
    ],
    ids=["placeholder-org", "not-http", "org-with-project", "bad-project", "bad-team"],
)
def test_bad_target_is_one_line_exit_2_and_nothing_sent(
    fake_apply, monkeypatch, capsys, argv, env, first_words
):
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    code = run("apply", *argv)

    err = capsys.readouterr().err.splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith(first_words)
    assert fake_apply.calls == []


def test_a_token_inside_the_org_url_is_never_printed(fake_apply, capsys):
    code = run("apply", "--org-url", "https://me:s3cret-pat-value@dev.azure.com/contoso")

    captured = capsys.readouterr()
    assert code == 2
    assert "s3cret-pat-value" not in captured.err + captured.out
    assert "***@dev.azure.com" in captured.err


def test_prune_needs_confirmation_when_not_interactive(fake_apply, monkeypatch, capsys):
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False, raising=False)

    assert run("apply", "--org-url", ORG, "--prune") == 2
    assert "--yes" in capsys.readouterr().err
    assert fake_apply.calls == []

    assert run("apply", "--org-url", ORG, "--prune", "--yes") == 0
    assert fake_apply.calls[0][1].prune is True


def test_apply_exit_code_is_passed_through(fake_apply):
    fake_apply.exit_code = 3

    assert run("apply", "--org-url", ORG) == 3


@pytest.mark.parametrize(("missing", "hidden"), [("azure.devops", True), ("pandas", False)])
def test_only_a_missing_extra_module_becomes_the_install_hint(fake_apply, capsys, missing, hidden):
    def run_apply(plan, options):
        raise ModuleNotFoundError(f"No module named {missing!r}", name=missing)

    fake_apply.run_apply = run_apply

    if hidden:
        assert run("apply", "--org-url", ORG) == 2
        assert "pip install -e '.[backlog]'" in capsys.readouterr().err
    else:
        with pytest.raises(ModuleNotFoundError):
            run("apply", "--org-url", ORG)


def test_export_writes_csv_and_markdown(tmp_path, plan, capsys):
    csv_path, md_path = tmp_path / "plan.csv", tmp_path / "new" / "dir" / "plan.md"

    assert run("export", "--format", "csv", "--output", str(csv_path), "--project", "P") == 0
    assert run("export", "--format", "md", "--output", str(md_path)) == 0

    assert csv_path.read_text(encoding="utf-8").count("\n") == len(plan.items) + 1
    assert "```mermaid" in md_path.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["plan.csv", "plan.md"]


def test_export_with_a_bad_project_writes_nothing(tmp_path, capsys):
    target = tmp_path / "plan.csv"

    code = run("export", "--format", "csv", "--output", str(target), "--project", "a|b")

    assert code == 2
    assert capsys.readouterr().err.startswith("--project: Azure DevOps project 'a|b'")
    assert not target.exists()


def tools_on_path(project_root) -> dict[str, str]:
    """The environment `make` and the installed project give: the bake's own tools/ importable."""
    return {**os.environ, "PYTHONPATH": str(project_root / "tools")}


def test_offline_commands_need_nothing_from_the_backlog_extra(project_root, tmp_path):
    """The post-generation hook runs these in cookiecutter's Python, which has no extra."""
    script = (
        "import sys\n"
        "from backlog.cli import main\n"
        f"codes = [main(['validate']), main(['plan']),\n"
        f"         main(['export', '--format', 'csv', '--output', {str(tmp_path / 'a.csv')!r}]),\n"
        f"         main(['export', '--format', 'md', '--output', {str(tmp_path / 'a.md')!r}])]\n"
        "extra = {'azure', 'msrest', 'requests', 'tenacity', 'rich'}\n"
        "loaded = sorted({m.split('.')[0] for m in sys.modules} & extra)\n"
        "print('RESULT', codes, loaded)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=project_root,
        env=tools_on_path(project_root),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "RESULT [0, 0, 0, 0] []"


def test_python_dash_m_backlog_runs_from_the_project_root(project_root, plan):
    result = subprocess.run(
        [sys.executable, "-m", "backlog", "plan"],
        cwd=project_root,
        env=tools_on_path(project_root),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert plan.iterations[-1].name in result.stdout
