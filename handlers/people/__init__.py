"""People: organisations (the provider and its customers), users and their roles,
passwords, API tokens, and the audit events of administrative actions.

- ``models``: Organisation, User, ApiToken, ROLES
- ``operations``: create and change organisations and users, passwords, sign-in checks
- ``tokens``: API tokens (create, list, revoke, authenticate)
- ``admin_events``: the audit event every administrative action records
"""
