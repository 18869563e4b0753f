"""Outputs of the process: service design specifications for customer-specific services,
change requests, and the exports (cost data, CIs, specifications, reports, change requests).

- ``models``: DesignSpecification, ChangeRequest
- ``design``: the specification and the draft customer-specific service; handlers
- ``changes``: change requests; handlers
- ``exports``: CSV and JSON exports
"""
