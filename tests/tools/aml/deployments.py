"""The kinds of deployment a project can have, and the answers that bake one of each (plain
code the tests import; conftest.py is for fixtures)."""

# A/B testing needs an online endpoint (the pre-generation hook says so).
ANSWERS = {
    "online": {"deployment": "online", "include_ab_testing": "yes"},
    "batch": {"deployment": "batch", "include_ab_testing": "no"},
    "none": {"deployment": "none", "include_ab_testing": "no"},
}
DEPLOYMENTS = tuple(ANSWERS)
