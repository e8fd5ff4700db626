"""The AzureML side of the project: offline validation, local runs, submission, deployment.

Run ``python -m aml_tool --help``. azure-ai-ml is imported only by the commands that need
it, so importing this package (and the ML steps) stays light.
"""
