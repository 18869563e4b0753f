"""The service catalogue: metrics, services with their service level options, targets and
costs, the supporting processes each service needs (mission rule 5), and configuration items.

- ``models``: Metric, Service, ServiceLevelOption, Target, SupportingProcess, ConfigurationItem
- ``operations``: create and change catalogue entries; target checks; money formatting
- ``supporting``: the supporting-process register and readiness for targets, with its handlers
- ``ci_import``: import configuration items from CSV
"""
