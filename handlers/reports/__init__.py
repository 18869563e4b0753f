"""Reports: the customer report of a review and the management (portfolio) report, in text,
HTML and PDF with charts.

- ``models``: CustomerReport, ManagementReport
- ``operations``: produce and store reports; the area's handlers
- ``text``, ``html``, ``pdf``: the three renderings
"""
