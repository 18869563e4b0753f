"""The main navigation: each link shows only if its page exists and the user may open it.

Add a page to the nav by naming its endpoint here; who sees it follows from the roles
the view declares with ``roles_required`` (one source of truth), and a link whose
endpoint is not registered yet is skipped, so the nav never points at a missing page.
"""
from __future__ import annotations

from flask import current_app, url_for
from werkzeug.routing import BuildError

from engine.i18n import N_, _

from .auth.access import may_use

#: (label, endpoint) in display order
NAV = (
    (N_("My service"), "portal.index"),
    (N_("Tasks"), "tasks.index"),
    (N_("Catalogue"), "catalogue.index"),
    (N_("Requirements"), "requirements.index"),
    (N_("SLAs"), "agreements.index"),
    (N_("Attainment"), "delivery.index"),
    (N_("Reviews"), "reviews.index"),
    (N_("Reports"), "reports.index"),
    (N_("Diagrams"), "diagrams.index"),
    (N_("Audit"), "audit.index"),
    (N_("Admin"), "admin.users"),
)


def url_if(endpoint: str, **values) -> str | None:
    """The URL of ``endpoint`` if it exists and the user may open it, else None."""
    if endpoint not in current_app.view_functions or not may_use(endpoint):
        return None
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def nav_links() -> list[tuple[str, str, str]]:
    """(label, endpoint, url) of the links the current user may follow."""
    links = []
    for label, endpoint in NAV:
        url = url_if(endpoint)
        if url:
            links.append((_(label), endpoint, url))
    return links


def init_nav(app) -> None:
    app.jinja_env.globals.update(nav_links=nav_links, url_if=url_if)
