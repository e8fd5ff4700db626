"""A local Azure DevOps server for the backlog tests (stdlib only, 127.0.0.1, one organization).

Usage: ``with FakeAdo(process="scrum") as ado: ...``; ``ado.url`` is the organization URL,
``ado.requests`` the recorded requests, ``ado.violations`` requests outside
``backlog/ado/operations.json`` (a test must assert it is empty), ``dump(ado.org.project)``
a normalized view of everything on the board.
"""

from fake_ado.dump import dump
from fake_ado.server import FakeAdo, Faults, Recorded

__all__ = ["FakeAdo", "Faults", "Recorded", "dump"]
