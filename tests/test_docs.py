"""The baked project's phase folders and documents form a usable guide.

Every phase folder explains its purpose, work, deliverable, audience and "done when", and
holds the starter file for its deliverable. The charter's objectives have a baseline, a target
and a date. Every relative link in the baked Markdown leads to a file that exists. The
exploration notebook is valid and runs from its folder. The commands the A/B and results
documents tell people to run work as written. Answers are shown as text, never as markup.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

PHASES = {
    "01-research": "implementation-plan.md",
    "02-data-exploration": "exploration-report.ipynb",
    "03-modelling": "evaluation-report.md",
    "04-productization": "review-checklist.md",
    "05-ab-testing": "test-design.md",
    "06-results-analysis": "results-report.md",
}
REQUIRED_SECTIONS = ["Purpose", "Typical work", "Deliverable", "Shown to", "Done when"]
PROJECT_DOCS = {
    "README.md",
    "charter.md",
    "hypothesis-log.md",
    "working-agreement.md",
    "definition-of-done.md",
    "branch-model.md",
    "decisions.md",
}
NOTEBOOK = Path("phases/02-data-exploration/exploration-report.ipynb")

VARIANTS = {
    "ab-online": {},
    "no-ab-batch": {"include_ab_testing": "no", "deployment": "batch"},
}


@pytest.fixture(params=list(VARIANTS), scope="module")
def variant(request) -> str:
    return request.param


@pytest.fixture
def project(bake, variant) -> Path:
    return bake(**VARIANTS[variant])


def expected_phases(variant: str) -> list[str]:
    return [p for p in PHASES if variant.startswith("ab") or p != "05-ab-testing"]


# --- Markdown helpers ------------------------------------------------------------------------

FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`[^`\n]*`")
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//|#)", re.IGNORECASE)


def prose(markdown: str) -> str:
    """The Markdown without fenced blocks and code spans, where links are not links."""
    return CODE_SPAN.sub("", FENCE.sub("", markdown))


def broken_links(root: Path, outputs: Path | None = None) -> list[str]:
    """Every relative inline link or image in ``root``'s Markdown whose file does not exist,
    as ``file: target``. External links, pure anchors and links inside code are ignored.
    A link into ``outputs/`` (files the make targets write) resolves against ``outputs`` when
    given, and is skipped otherwise."""
    broken = []
    for page in sorted(root.rglob("*.md")):
        for target in INLINE_LINK.findall(prose(page.read_text(encoding="utf-8"))):
            if EXTERNAL.match(target):
                continue
            path = (page.parent / target.split("#", 1)[0].split("?", 1)[0]).resolve()
            if path.is_relative_to(root.resolve() / "outputs"):
                if outputs is None:
                    continue
                path = outputs / path.relative_to(root.resolve() / "outputs")
            if not path.exists():
                broken.append(f"{page.relative_to(root)}: {target}")
    return broken


def sections(markdown: str) -> dict[str, str]:
    """``## Heading`` -> its text up to the next ``## `` heading (fenced blocks left out)."""
    parts = re.split(r"^##\s+(.+?)\s*$", FENCE.sub("", markdown), flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def table_after(markdown: str, heading: str) -> list[list[str]]:
    """The first pipe table after ``heading``, as rows of stripped cells (separator dropped)."""
    start = markdown.index(heading)
    rows = []
    for line in markdown[start:].splitlines():
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif rows:
            break
    return [row for row in rows if not all(set(cell) <= set("-: ") for cell in row)]


# --- Phase folders ---------------------------------------------------------------------------


def test_phase_folders_are_exactly_the_chosen_phases(project, variant):
    """The A/B folder exists only when chosen and results analysis stays 06 either way.

    Cookiecutter cannot skip a folder (cookiecutter#1518), so the A/B files carry conditional
    names and the post-generation hook removes the folder they leave empty; nothing of it may
    land anywhere else."""
    phases = project / "phases"
    assert sorted(p.name for p in phases.iterdir()) == sorted(
        [*expected_phases(variant), "README.md"]
    )
    for phase in expected_phases(variant):
        assert sorted(p.name for p in (phases / phase).iterdir()) == sorted(
            ["README.md", PHASES[phase]]
        )
    assert (phases / "README.md").read_text().startswith("# Phases of ")


def test_every_phase_readme_has_the_required_sections_and_a_checklist(project, variant):
    problems = []
    for phase in expected_phases(variant):
        readme = (project / "phases" / phase / "README.md").read_text()
        found = sections(readme)
        missing = [title for title in REQUIRED_SECTIONS if title not in found]
        if missing:
            problems.append(f"{phase}: missing sections {missing}")
            continue
        for title in REQUIRED_SECTIONS:
            if len(found[title].split()) < 15:
                problems.append(f"{phase}: section {title!r} is too thin to be useful")
        checklist = re.findall(r"^- \[ \] \S", found["Done when"], flags=re.MULTILINE)
        if len(checklist) < 4:
            problems.append(f"{phase}: 'Done when' has {len(checklist)} task items, needs 4+")
        if f"]({PHASES[phase]})" not in found["Deliverable"]:
            problems.append(f"{phase}: 'Deliverable' does not link {PHASES[phase]}")
    assert problems == []


def test_phase_overview_lists_each_phase_and_explains_the_stable_numbering(project, variant):
    overview = (project / "phases" / "README.md").read_text()
    for phase in expected_phases(variant):
        assert f"]({phase}/README.md)" in overview
    assert "always `06`" in overview
    assert ("05-ab-testing/README.md" in overview) == variant.startswith("ab")
    assert ("without the A/B-testing phase" in overview) != variant.startswith("ab")


def test_pull_request_template_asks_for_work_item_phase_and_branch_type(project, variant):
    template = (project / ".azuredevops" / "pull_request_template.md").read_text()
    found = sections(template)
    assert "AB#" in found["Work item"]
    phase_boxes = re.findall(r"^- \[ \] (\d\d) ", found["Phase"], flags=re.MULTILINE)
    assert phase_boxes == [p[:2] for p in expected_phases(variant)]
    for branch_type in ("data/", "explore/", "experiment/", "model/"):
        assert f"`{branch_type}`" in found["Branch type"]
    assert {"What changed and why", "Evidence", "Checklist"} <= found.keys()


# --- Project documents -----------------------------------------------------------------------


def test_project_docs_are_all_there_and_indexed(project):
    docs = project / "docs"
    assert {p.name for p in docs.iterdir()} >= PROJECT_DOCS
    index = (docs / "README.md").read_text()
    for name in PROJECT_DOCS - {"README.md"}:
        assert f"]({name})" in index, f"docs/README.md does not link {name}"


def test_charter_objectives_each_have_a_baseline_target_and_date(project):
    charter = (project / "docs" / "charter.md").read_text()
    for part in ("Motivation", "Definition", "Scope and feasibility", "Communication"):
        assert f"\n## {part}\n" in charter
    header, *rows = table_after(charter, "### Objectives")
    for column in ("Objective", "Baseline", "Target", "Date"):
        assert column in header, f"objectives table lacks a {column} column: {header}"
    assert all(len(row) == len(header) for row in rows), "a row has the wrong number of cells"
    filled = [dict(zip(header, row, strict=True)) for row in rows if row[1]]
    assert filled, "the objectives table needs at least one worked example"
    for objective in filled:
        assert objective["Baseline"] and objective["Target"] and objective["Date"], objective


def test_hypothesis_log_has_the_columns_and_a_worked_penguin_example(project):
    log = (project / "docs" / "hypothesis-log.md").read_text()
    header, *rows = table_after(log, "| ID |")
    assert header == ["ID", "Hypothesis", "Evidence", "Status", "Date", "Link"]
    statuses = {row[3] for row in rows}
    assert statuses <= {"open", "accepted", "rejected"}
    assert {"accepted", "rejected"} <= statuses, "show both outcomes in the worked examples"
    assert any("bill" in row[1] and row[2] for row in rows), "a penguin example with evidence"


def test_branch_model_names_every_branch_type_and_what_happens_to_it(project):
    model = (project / "docs" / "branch-model.md").read_text()
    assert "experiment/1234-gradient-boosting" in model
    assert "AB#<id>" in model
    types = table_after(model, "## Branch types")
    by_type = {row[0].strip("`"): row for row in types[1:]}
    assert {"data/", "explore/", "experiment/", "model/"} <= by_type.keys()
    assert "closed, not merged" in " ".join(by_type["explore/"])
    assert "merged" in " ".join(by_type["data/"])
    assert "## What each branch type triggers in CI" in model


def test_definition_of_done_covers_each_item_type(project):
    sections_found = sections((project / "docs" / "definition-of-done.md").read_text())
    for item_type in ("Story", "Data", "Experiment", "Model"):
        heading = next((t for t in sections_found if t.startswith(item_type)), None)
        assert heading, f"no definition of done for {item_type}"
        assert sections_found[heading].count("- [ ]") >= 3


# --- Links -----------------------------------------------------------------------------------


def test_every_relative_markdown_link_resolves(project):
    broken = broken_links(project)
    assert not broken, "links to files that do not exist:\n" + "\n".join(broken)


def test_the_evaluation_report_shows_the_plot_make_evaluate_draws(bake, run_in, tmp_path):
    """The report's image links resolve once `make evaluate` has run: the figure a reviewer
    looks at is the one the pipeline writes, at the path the report names."""
    project = bake()
    scratch = tmp_path / "copy"
    shutil.copytree(project, scratch)
    result = run_in(scratch, "make", "evaluate", f"PYTHON={sys.executable}")
    assert result.returncode == 0, result.stdout + result.stderr
    report = scratch / "phases" / "03-modelling" / "evaluation-report.md"
    assert "outputs/evaluation/confusion_matrix.png" in report.read_text()
    broken = [b for b in broken_links(scratch, scratch / "outputs") if "outputs/" in b]
    assert broken == []


def test_link_check_reports_broken_links_and_ignores_code_and_urls(tmp_path):
    (tmp_path / "there.md").write_text("# here\n")
    (tmp_path / "page.md").write_text(
        "[ok](there.md#here) [gone](missing.md) ![img](pics/none.png)\n"
        "[web](https://example.com/x.md) [anchor](#top) `[code](nope.md)`\n"
        "```\n[fenced](nope.md)\n```\n"
    )
    assert broken_links(tmp_path) == ["page.md: missing.md", "page.md: pics/none.png"]


# --- The exploration notebook ----------------------------------------------------------------

RUN_CODE_CELLS = """
import json, sys
notebook = json.load(open(sys.argv[1], encoding="utf-8"))
namespace = {"__name__": "__main__"}
for number, cell in enumerate(notebook["cells"]):
    if cell["cell_type"] == "code":
        exec(compile("".join(cell["source"]), f"<cell {number}>", "exec"), namespace)
"""


def kernel_available() -> bool:
    if not (importlib.util.find_spec("nbclient") and importlib.util.find_spec("ipykernel")):
        return False
    from jupyter_client.kernelspec import KernelSpecManager

    return "python3" in KernelSpecManager().find_kernel_specs()


def run_code_cells(notebook: Path, cwd: Path) -> subprocess.CompletedProcess:
    """Run the notebook's code cells in order, in a fresh interpreter started in ``cwd``."""
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, "-c", RUN_CODE_CELLS, str(notebook)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_notebook_is_valid_nbformat_4_with_outputs_stripped(bake):
    notebook = nbformat.read(bake() / NOTEBOOK, as_version=nbformat.NO_CONVERT)
    nbformat.validate(notebook)
    assert notebook.nbformat == 4
    assert notebook.metadata.kernelspec.name == "python3"
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    markdown = [cell for cell in notebook.cells if cell.cell_type == "markdown"]
    assert len(code) >= 8 and len(markdown) >= 8
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code)
    assert "../../data/raw/penguins.csv" in "".join(cell.source for cell in code)
    findings = [cell for cell in markdown if "TEAM FINDINGS" in cell.source]
    assert len(findings) >= 3, "clearly marked places for the team's own findings"


def test_notebook_runs_top_to_bottom_from_its_folder(bake, tmp_path):
    """In a Jupyter kernel when nbclient and ipykernel are installed, else cell by cell."""
    project = bake()
    folder = (project / NOTEBOOK).parent
    if kernel_available():
        from nbclient import NotebookClient

        notebook = nbformat.read(project / NOTEBOOK, as_version=4)
        NotebookClient(
            notebook,
            timeout=300,
            kernel_name="python3",
            resources={"metadata": {"path": str(folder)}},
        ).execute()
        outputs = [out for cell in notebook.cells for out in cell.get("outputs", [])]
        assert not [out for out in outputs if out.output_type == "error"]
        assert any("344 rows" in out.get("text", "") for out in outputs)
    else:
        result = run_code_cells(project / NOTEBOOK, folder)
        assert result.returncode == 0, result.stderr[-3000:]
        assert "344 rows" in result.stdout


def test_notebook_started_elsewhere_says_where_to_run_it(bake):
    project = bake()
    result = run_code_cells(project / NOTEBOOK, project)
    assert result.returncode != 0
    assert "start the notebook from phases/02-data-exploration/" in result.stderr


# --- Commands the documents tell people to run -----------------------------------------------


def fenced_commands(markdown: str, placeholders: dict[str, str]) -> list[list[str]]:
    """The ``python -m`` command lines in the document's bash blocks, continuation lines
    joined, trailing comments dropped and PLACEHOLDERS replaced, as argument lists."""
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", markdown, flags=re.DOTALL):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split("#", 1)[0].strip()
            if line.startswith("python -m "):
                argv = shlex.split(line)
                commands.append([placeholders.get(arg, arg) for arg in argv])
    return commands


def run_python(project: Path, argv: list[str]) -> subprocess.CompletedProcess:
    assert argv[0] == "python"
    env = {**os.environ, "PYTHONPATH": "src", "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, *argv[1:]], cwd=project, env=env, capture_output=True, text=True
    )


def test_the_test_design_command_runs_as_documented(bake):
    project = bake()
    doc = (project / "phases" / "05-ab-testing" / "test-design.md").read_text()
    commands = fenced_commands(doc, {})
    assert commands, "the test design shows the power-calculation command"
    for argv in commands:
        assert "--baseline-rate" in argv and "--mde" in argv
        result = run_python(project, argv)
        assert result.returncode == 0, result.stderr
        per_variant = int(re.search(r"([\d,]+) per variant", result.stdout)[1].replace(",", ""))
        # The prose quotes the tool's answer for these inputs; it must stay true.
        assert f"about {round(per_variant, -2):,} units per variant" in " ".join(doc.split())


def test_the_results_report_commands_run_as_documented(bake, tmp_path):
    project = bake()
    doc = (project / "phases" / "06-results-analysis" / "results-report.md").read_text()
    placeholders = {
        "FILE": "data/sample/ab_outcomes.csv",
        "DIR": str(tmp_path / "results"),
        "COLUMN": "platform",
    }
    commands = fenced_commands(doc, placeholders)
    assert len(commands) == 2
    for argv in commands:
        result = run_python(project, argv)
        assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "results" / "results.json").read_text())
    # The sample data carries a planted uplift of 2 points: the documented commands find it,
    # with an interval that holds it, and slice by the documented column.
    low, high = report["overall"]["absolute_ci"]
    assert low < 0.02 < high and report["overall"]["significant"]
    assert report["segments"]["by"] == "platform"
    assert {row["segment"] for row in report["segments"]["results"]} == {"desktop", "mobile"}


# --- Answers are data ------------------------------------------------------------------------

MARKUP_DESCRIPTION = '"quotes" \\ {{ x }} <script>alert(1)</script>'


@pytest.fixture
def markup_project(bake) -> Path:
    # cookiecutter renders --no-input answers as templates: {% raw %} passes the literal text.
    return bake(description="{% raw %}" + MARKUP_DESCRIPTION + "{% endraw %}")


def test_description_with_markup_shows_as_text_in_the_docs(markup_project):
    shown = "&#34;quotes&#34; \\ {{ x }} &lt;script&gt;alert(1)&lt;/script&gt;"
    for page in ("docs/charter.md", "phases/01-research/implementation-plan.md"):
        text = (markup_project / page).read_text()
        assert shown in text, f"{page} does not show the description as text"
    for page in markup_project.rglob("*.md"):
        assert "<script>" not in page.read_text(), f"{page} carries a live <script> tag"


def test_description_with_markup_breaks_no_document(markup_project, bake):
    plain = bake()
    for page in [
        *(markup_project / "docs").glob("*.md"),
        *(markup_project / "phases").rglob("*.md"),
    ]:
        relative = page.relative_to(markup_project)
        headings = re.findall(r"^#+ .*$", page.read_text(), flags=re.MULTILINE)
        plain_headings = re.findall(r"^#+ .*$", (plain / relative).read_text(), flags=re.MULTILINE)
        assert headings == plain_headings, f"{relative}: the answer changed the structure"
    header, *rows = table_after(
        (markup_project / "docs" / "charter.md").read_text(), "### Objectives"
    )
    assert all(len(row) == len(header) for row in rows)
    broken = broken_links(markup_project)
    assert not broken, "links to files that do not exist:\n" + "\n".join(broken)


@pytest.mark.parametrize("weeks", ["2", "3"])
def test_working_agreement_timeboxes_match_the_ceremony_estimates_on_the_board(bake, weeks):
    """The ceremony tasks that the backlog tool creates and the working agreement's timeboxes
    are the same numbers, so the board and the agreement never disagree."""
    project = bake(sprint_length_weeks=weeks)
    spec = yaml.safe_load((project / "backlog" / "backlog.yml").read_text())
    agreement = (project / "docs" / "working-agreement.md").read_text()
    header, *rows = table_after(agreement, "## Ceremonies")
    timebox = {row[0]: row[header.index("Timebox per sprint")] for row in rows}
    for ceremony in spec["ceremonies"]:
        if ceremony["key"] == "scrum-of-scrums":
            continue  # optional, off unless several teams share a product
        hours = ceremony["hours_per_sprint_week"] * int(weeks)
        assert ceremony["name"] in timebox, f"no timebox for {ceremony['name']}"
        assert timebox[ceremony["name"]].startswith(f"{hours:g} h"), ceremony["name"]


def test_every_branch_name_the_branch_model_shows_passes_the_pipeline_check(project, run_in):
    """The documented branch types and examples are exactly what the PR pipeline accepts."""
    model = (project / "docs" / "branch-model.md").read_text()
    types = [row[0].strip("`") for row in table_after(model, "## Branch types")[1:]]
    pattern = "|".join(re.escape(kind) for kind in types)
    examples = re.findall(rf"`((?:{pattern})\d+-[a-z0-9-]+)`", model)
    assert len(examples) >= len(types), "show at least one example per branch type"
    for name in [*examples, *(f"{kind}1234-example" for kind in types)]:
        result = run_in(project, "python", "tools/pipelines/check_branch_name.py", name)
        assert result.returncode == 0, f"{name}: {result.stdout}{result.stderr}"
