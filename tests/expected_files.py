"""The exact files a baked project holds, per answer: the generated project's specification.

Written out by hand-reviewed lists rather than derived from the template, so a file that
appears or disappears unexpectedly fails the bake test.
"""

from __future__ import annotations

COMMON = frozenset(
    {
        ".azuredevops/pull_request_template.md",
        ".cruft.json",
        ".gitignore",
        ".pre-commit-config.yaml",
        "Makefile",
        "README.md",
        "aml/README.md",
        "aml/components/evaluate.yml",
        "aml/components/prepare.yml",
        "aml/components/register.yml",
        "aml/components/train.yml",
        "aml/components/validate.yml",
        "aml/compute/cluster.yml",
        "aml/data/raw-data.yml",
        "aml/environment/conda.yml",
        "aml/environment/environment.yml",
        "aml/jobs/sweep.yml",
        "aml/pipelines/train.yml",
        "backlog/README.md",
        "tools/README.md",
        "tools/backlog/__init__.py",
        "tools/backlog/__main__.py",
        "tools/backlog/ado/__init__.py",
        "tools/backlog/ado/auth.py",
        "tools/backlog/ado/batch.py",
        "tools/backlog/ado/client.py",
        "tools/backlog/ado/errors.py",
        "tools/backlog/ado/executor.py",
        "tools/backlog/ado/operations.json",
        "tools/backlog/ado/progress.py",
        "tools/backlog/ado/reader.py",
        "tools/backlog/ado/results.py",
        "tools/backlog/ado/retry.py",
        "tools/backlog/ado/transport.py",
        "tools/backlog/apply.py",
        "backlog/backlog.yml",
        "tools/backlog/cli.py",
        "tools/backlog/config.py",
        "tools/backlog/diff.py",
        "tools/backlog/export.py",
        "tools/backlog/fields.py",
        "tools/backlog/model.py",
        "tools/backlog/naming.py",
        "backlog/plan.md",
        "tools/backlog/planner.py",
        "tools/backlog/process.py",
        "tools/backlog/render.py",
        "tools/backlog/schema.py",
        "tools/backlog/snapshot.py",
        "tools/backlog/spec.py",
        "tools/backlog/strict_yaml.py",
        "tools/backlog/wiql.py",
        "data/README.md",
        "data/raw/penguins.csv",
        "data/reference/README.md",
        "data/reference/penguins_raw.json",
        "data/sample/ab_outcomes.csv",
        "data/sample/make_ab_outcomes.py",
        "data/sample/request.csv",
        "docs/README.md",
        "docs/branch-model.md",
        "docs/charter.md",
        "docs/decisions.md",
        "docs/definition-of-done.md",
        "docs/hypothesis-log.md",
        "docs/working-agreement.md",
        "phases/01-research/README.md",
        "phases/01-research/implementation-plan.md",
        "phases/02-data-exploration/README.md",
        "phases/02-data-exploration/exploration-report.ipynb",
        "phases/03-modelling/README.md",
        "phases/03-modelling/evaluation-report.md",
        "phases/04-productization/README.md",
        "phases/04-productization/review-checklist.md",
        "phases/06-results-analysis/README.md",
        "phases/06-results-analysis/results-report.md",
        "phases/README.md",
        "pipelines/README.md",
        "pipelines/backlog-sync.yml",
        "pipelines/environments/dev.yml",
        "pipelines/pr-validation.yml",
        "pipelines/scripts/check_branch_name.py",
        "pipelines/scripts/create_pipelines.py",
        "pipelines/scripts/pipeline_schema.py",
        "pipelines/scripts/pipeline_steps.py",
        "pipelines/scripts/pipeline_yaml.py",
        "pipelines/scripts/training_report.py",
        "pipelines/scripts/validate_pipelines.py",
        "pipelines/templates/jobs/azure-job.yml",
        "pipelines/templates/jobs/quality-gates.yml",
        "pipelines/templates/steps/azure-cli.yml",
        "pipelines/templates/steps/setup-python.yml",
        "pipelines/templates/variables/project.yml",
        "pipelines/templates/variables/versions.yml",
        "pipelines/train.yml",
        "project.yml",
        "pyproject.toml",
        "src/penguin_species_classifier/__init__.py",
        "src/penguin_species_classifier/aml/__init__.py",
        "src/penguin_species_classifier/aml/__main__.py",
        "src/penguin_species_classifier/aml/cli.py",
        "src/penguin_species_classifier/aml/config.py",
        "src/penguin_species_classifier/aml/definitions.py",
        "src/penguin_species_classifier/aml/endpoints.py",
        "src/penguin_species_classifier/aml/local_run.py",
        "src/penguin_species_classifier/aml/registry.py",
        "src/penguin_species_classifier/aml/wiring.py",
        "src/penguin_species_classifier/aml/workspace.py",
        "src/penguin_species_classifier/cli.py",
        "src/penguin_species_classifier/data.py",
        "src/penguin_species_classifier/data_checks/README.md",
        "src/penguin_species_classifier/data_checks/__init__.py",
        "src/penguin_species_classifier/data_checks/model.py",
        "src/penguin_species_classifier/data_checks/profile.py",
        "src/penguin_species_classifier/data_checks/report.py",
        "src/penguin_species_classifier/data_checks/runner.py",
        "src/penguin_species_classifier/data_checks/suites/__init__.py",
        "src/penguin_species_classifier/data_checks/suites/penguins_raw.py",
        "src/penguin_species_classifier/data_checks/suites/penguins_split.py",
        "src/penguin_species_classifier/evaluate.py",
        "src/penguin_species_classifier/features.py",
        "src/penguin_species_classifier/model_io.py",
        "src/penguin_species_classifier/prepare.py",
        "src/penguin_species_classifier/promotion.py",
        "src/penguin_species_classifier/register.py",
        "src/penguin_species_classifier/results_analysis.py",
        "src/penguin_species_classifier/results_report.py",
        "src/penguin_species_classifier/score.py",
        "src/penguin_species_classifier/serving/__init__.py",
        "src/penguin_species_classifier/serving/batch_score.py",
        "src/penguin_species_classifier/serving/request.py",
        "src/penguin_species_classifier/serving/score.py",
        "src/penguin_species_classifier/serving/service.py",
        "src/penguin_species_classifier/tracking.py",
        "src/penguin_species_classifier/train.py",
        "src/penguin_species_classifier/validate_data.py",
        "tests/conftest.py",
        "tests/test_backlog_file.py",
        "tests/aml/aml_support.py",
        "tests/aml/conftest.py",
        "tests/aml/test_aml_cli.py",
        "tests/aml/test_azureml_registry.py",
        "tests/aml/test_definitions.py",
        "tests/aml/test_local_pipeline.py",
        "tests/aml/test_promotion.py",
        "tests/aml/test_serving.py",
        "tests/aml/test_traffic.py",
        "tests/data/conftest.py",
        "tests/data/test_broken_prepared_data.py",
        "tests/data/test_broken_raw_data.py",
        "tests/data/test_bundled_data.py",
        "tests/data/test_suites_as_code.py",
        "tests/data/test_validate_data_cli.py",
        "tests/data/test_validated_output.py",
        "tests/pipelines/conftest.py",
        "tests/pipelines/test_branch_names.py",
        "tests/pipelines/test_create_pipelines.py",
        "tests/pipelines/test_pipeline_expansion.py",
        "tests/pipelines/test_pipeline_structure.py",
        "tests/pipelines/test_pipeline_validation.py",
        "tests/pipelines/test_training_report.py",
        "tests/unit/conftest.py",
        "tests/unit/test_data.py",
        "tests/unit/test_end_to_end.py",
        "tests/unit/test_features.py",
        "tests/unit/test_missing_extras.py",
        "tests/unit/test_prepare.py",
        "tests/unit/test_results_analysis.py",
        "tests/unit/test_score.py",
        "tests/unit/test_tracking.py",
        "tests/unit/test_train_evaluate.py",
    }
)

AB_TESTING_ONLY = frozenset(
    {
        "phases/05-ab-testing/README.md",
        "phases/05-ab-testing/test-design.md",
        "src/penguin_species_classifier/ab_testing.py",
        "tests/unit/test_ab_testing.py",
    }
)

DEPLOYED_ONLY = frozenset(
    {
        "pipelines/deploy.yml",
        "pipelines/environments/prod.yml",
        "pipelines/scripts/smoke_test.py",
        "tests/pipelines/test_smoke_test.py",
    }
)

ONLINE_ONLY = frozenset(
    {
        "aml/endpoints/online/blue.yml",
        "aml/endpoints/online/endpoint.yml",
        "aml/endpoints/online/green.yml",
        "aml/endpoints/online/sample-request.json",
        "pipelines/templates/stages/deploy-online.yml",
    }
)

BATCH_ONLY = frozenset(
    {
        "aml/endpoints/batch/deployment.yml",
        "aml/endpoints/batch/endpoint.yml",
        "pipelines/templates/stages/deploy-batch.yml",
    }
)


def expected_files(*, ab_testing: bool, deployment: str) -> set[str]:
    """Relative paths of every file a project baked with these answers must contain."""
    files = set(COMMON)
    if ab_testing:
        files |= AB_TESTING_ONLY
    if deployment in {"online", "batch"}:
        files |= DEPLOYED_ONLY
    if deployment == "online":
        files |= ONLINE_ONLY
    if deployment == "batch":
        files |= BATCH_ONLY
    return files
