"""The AzureML side of the project: offline validation, local runs, submission, deployment.

Run ``python -m <package>.aml --help``. azure-ai-ml is imported only by the commands that need
it, so importing this package (and the ML steps) stays light.
"""
