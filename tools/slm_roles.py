"""The roles of service level management: the lanes of the SLM diagrams."""
from __future__ import annotations

CUSTOMER, MANAGER, OWNER = "Customer", "Service Level Manager", "Process Owner"
