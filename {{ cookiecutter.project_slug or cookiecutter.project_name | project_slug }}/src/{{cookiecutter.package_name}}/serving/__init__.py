"""Serving the registered model: request checks, the online and the batch scoring scripts.

{% if cookiecutter.deployment != "none" -%}
``score.py`` and ``batch_score.py`` are the entry scripts AzureML loads by file path (see
aml/endpoints/); the logic they call lives in ``request.py`` and ``service.py``, which are
ordinary modules of this package, tested offline.
{%- else -%}
``score.py`` and ``batch_score.py`` are the entry scripts AzureML would load by file path; the
logic they call lives in ``request.py`` and ``service.py``, which are ordinary modules of this
package, tested offline.
{%- endif %}
"""
