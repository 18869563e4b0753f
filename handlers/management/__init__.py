"""Process management: verify the service levels delivered against those agreed, and set
the priorities of service levels.

- ``operations``: ``verify_service_levels``, ``set_priorities`` and the area's handlers
"""
