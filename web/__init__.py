"""Flask web front end: the app factory."""
from __future__ import annotations

from flask import Flask, g

from .config import Settings
from .services import Services


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
    app.config.update(overrides)
    services = Services(settings)
    app.extensions["slm"] = services

    @app.teardown_appcontext
    def close_session(_exc):
        session = g.pop("db_session", None)
        if session is not None:
            session.close()

    from . import home
    app.register_blueprint(home.bp)
    return app


def db_session():
    """The request's session (one transaction boundary per request)."""
    from flask import current_app

    if "db_session" not in g:
        g.db_session = current_app.extensions["slm"].sessions()
    return g.db_session
