"""Service delivery: measurements and customer observations, service-hours calendars,
reporting periods, and attainment of every target per period.

- ``models``: Measurement, Observation
- ``measurements``: the measurement import (row-level reasons, idempotent) and observations
- ``attainment``: attainment per SLA target and period, with breaches and trend; handlers
- ``_aggregation``: measurements aggregated in SQL within service hours
- ``service_hours``: service-hours calendars as exact UTC windows
- ``periods``: calendar months and quarters
"""
