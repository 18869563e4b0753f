"""Flask web front end: the app factory."""
from __future__ import annotations

import os

from flask import Flask, g

from engine.i18n import _
from engine.sandbox_pool import get_pool

from .config import Settings
from .services import ROOT, Services

#: sent with every response; pages keep their JavaScript in web/static (no inline scripts)
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def create_app(config: dict | None = None) -> Flask:
    """Build the app; ``config`` overrides settings (tests pass their database URL)."""
    settings = Settings()
    overrides = dict(config or {})
    if "SLM_DATABASE_URL" in overrides:
        settings.database_url = overrides.pop("SLM_DATABASE_URL")
    if "SLM_EMBEDDED_RUNNER" in overrides:
        settings.embedded_runner = bool(overrides.pop("SLM_EMBEDDED_RUNNER"))
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(settings.flask_config())
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # behind HTTPS set SLM_SECURE_COOKIES=1 so the session cookie never travels in clear
        SESSION_COOKIE_SECURE=os.environ.get("SLM_SECURE_COOKIES", "0") in ("1", "true", "yes"),
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
        SLM_NODE_MODULES=str(ROOT / "node_modules"),
        SLM_CSP=CONTENT_SECURITY_POLICY,
    )
    app.config.update(overrides)
    services = Services(settings)
    app.extensions["slm"] = services
    get_pool()  # the sandbox workers start with the app (and are reused by every request)

    @app.teardown_appcontext
    def close_session(_exc):
        session = g.pop("db_session", None)
        if session is not None:
            session.close()

    from . import account as account_area
    from . import admin as admin_area
    from . import agreements as agreements_area
    from . import api as api_area
    from . import audit as audit_area
    from . import auth as auth_area
    from . import catalogue as catalogue_area
    from . import conversations as conversations_area
    from . import delivery as delivery_area
    from . import diagrams as diagrams_area
    from . import errors, formatting, home, i18n, nav, ops, vendor
    from . import notifications as notifications_area
    from . import portal as portal_area
    from . import reports as reports_area
    from . import requirements as requirements_area
    from . import reviews as reviews_area
    from . import tasks as tasks_area
    from .auth.access import init_access, undeclared_views
    from .auth.throttle import init_throttle
    from .inputs import init_inputs

    init_inputs(app)  # first: the bounded int converter and the parameter checks
    init_access(app)
    init_throttle(app)
    errors.register_error_handlers(app)
    nav.init_nav(app)
    i18n.init_i18n(app)
    formatting.init_formatting(app)
    app.after_request(_security_headers)
    app.register_blueprint(home.bp)
    app.register_blueprint(ops.bp)
    app.register_blueprint(auth_area.bp)
    app.register_blueprint(admin_area.bp)
    app.register_blueprint(account_area.bp)
    api_area.init_api(app)
    app.register_blueprint(vendor.bp)
    app.register_blueprint(portal_area.bp)
    app.register_blueprint(agreements_area.bp)
    app.register_blueprint(requirements_area.bp)
    app.register_blueprint(catalogue_area.bp)
    app.register_blueprint(delivery_area.bp)
    app.register_blueprint(reviews_area.bp)
    app.register_blueprint(reports_area.bp)
    app.register_blueprint(tasks_area.bp)
    app.register_blueprint(conversations_area.bp)
    app.register_blueprint(diagrams_area.bp)
    app.register_blueprint(audit_area.bp)
    notifications_area.init_notifications(app)

    # Deny by default: a view without @public or @roles_required is a bug, found at start.
    if missing := undeclared_views(app):
        raise RuntimeError(_("views without @public or @roles_required(...): ")
                           + ", ".join(missing))
    return app


#: the only responses a cache may keep (no private data: CSS, JavaScript, fonts)
PUBLIC_ASSETS = frozenset({"static", "vendor.asset"})
#: sent with SLM_SECURE_COOKIES=1 (the app is served over HTTPS only)
HSTS = "max-age=31536000; includeSubDomains"


def _security_headers(response):
    from flask import current_app, request

    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    if current_app.config.get("SLM_CSP"):
        headers.setdefault("Content-Security-Policy", current_app.config["SLM_CSP"])
    if request.endpoint not in PUBLIC_ASSETS:
        # pages, downloads and the API may all carry private data: never kept by a cache
        headers["Cache-Control"] = "no-store"
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def db_session():
    """The request's session (one transaction boundary per request)."""
    from flask import current_app

    if "db_session" not in g:
        g.db_session = current_app.extensions["slm"].sessions()
    return g.db_session
