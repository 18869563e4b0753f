"""GET /api/v1/me: who the token belongs to."""
from __future__ import annotations

from flask_login import current_user

from ..auth.access import ALL_ROLES, roles_required
from . import V1, bp, ok


@bp.get(f"{V1}/me")
@roles_required(*ALL_ROLES)
def me():
    org = None
    if current_user.organisation_id is not None:
        org = {"id": current_user.organisation_id, "key": current_user.organisation_key,
               "name": current_user.organisation_name}
    return ok({"id": current_user.id, "username": current_user.username,
               "display_name": current_user.display_name,
               "roles": sorted(current_user.roles), "organisation": org})
