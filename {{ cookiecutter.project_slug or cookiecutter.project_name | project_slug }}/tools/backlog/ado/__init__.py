"""The Azure DevOps side of the backlog tool (needs the ``backlog`` extra).

``client`` is the only module that imports ``azure.devops``; ``operations.json`` lists every
request the tool sends, which the local test server and the contract test check.
"""
