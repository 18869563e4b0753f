"""Who may do what: login sessions, role checks, the auditor's read-only rule and CSRF.

Every view declares who may use it, with ``@public`` or ``@roles_required(...)``;
``create_app`` refuses to start when a view declares neither (deny by default).
A central ``before_request`` hook then, for every request:

1. lets public endpoints through (login page, health check, static files);
2. sends anonymous users to the login page (``/api/...``: 401 JSON);
3. refuses any non-GET request by an auditor with 403 (logging out excepted);
4. checks the CSRF token of every non-GET request outside ``/api/``.

``/api/`` is reserved for the token-authenticated JSON API: the session cookie does not
authenticate there (so skipping CSRF is safe). The API authenticates by token: set
``app.extensions["slm_api_auth"]`` to a function
``(request) -> handlers.people.models.User | None``.
"""
from __future__ import annotations

import hmac
import os
from datetime import timedelta
from functools import wraps

from flask import abort, current_app, g, jsonify, redirect, request, url_for
from flask_login import LoginManager, UserMixin, current_user
from flask_wtf.csrf import CSRFProtect

from engine.clock import utcnow
from engine.i18n import _
from engine.tasks import Actor
from handlers.people.models import ROLES
from handlers.people.sessions import find_session

login_manager = LoginManager()
csrf = CSRFProtect()

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
API_PREFIX = "/api/"
#: endpoints an auditor may POST to: they change no process or business data (leaving;
#: managing one's own API tokens, which the read-only API needs)
AUDITOR_MAY_POST = frozenset({"auth.logout", "account.create_token", "account.revoke_token",
                              "account.end_session", "account.end_other_sessions",
                              "account.change_password", "notifications.unsubscribe",
                              "account.preferences"})
#: stands, in a view's declaration, for any role an admin added (handlers.people.roles):
#: route access rules are written in the built-in roles; a person holding only added roles
#: reaches the pages declared for OTHER_ROLES (home, account, the tasks of their lanes)
OTHER_ROLES = "(roles added by admins)"
BUILTIN_ROLES = frozenset(ROLES)
ALL_ROLES = BUILTIN_ROLES | {OTHER_ROLES}


class LoginUser(UserMixin):
    """The signed-in person as the web layer sees them: plain values, no database session."""

    def __init__(self, user, session_key: str = "", session_id: int | None = None):
        self.id = user.id
        self.username = user.username
        self.display_name = user.display_name
        self.roles = user.role_set
        org = user.organisation
        self.organisation_id = org.id if org else None
        self.organisation_key = org.key if org else None
        self.organisation_name = org.name if org else None
        #: the person's language and time zone (None: the browser's / the installation's)
        self.language = user.language
        self.time_zone = user.time_zone
        #: the server-side session (handlers.people.sessions) this cookie stands for
        self.session_key, self.session_id = session_key, session_id

    def get_id(self) -> str:
        # The cookie carries the key of a session row: ending the row ends the session.
        return f"{self.id}:{self.session_key}"

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles)) or (
            OTHER_ROLES in roles and bool(self.roles - BUILTIN_ROLES))

    @property
    def is_customer(self) -> bool:
        return "Customer" in self.roles

    @property
    def is_auditor(self) -> bool:
        return "Auditor" in self.roles


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


@login_manager.user_loader
def _load_user(session_id: str):
    if is_api_request():
        return None  # the API authenticates by token only (see the module docstring)
    from .. import db_session

    user_id, _, key = session_id.partition(":")
    if not user_id.isdigit() or len(user_id) > 10:
        return None
    session = db_session()
    found = find_session(session, int(user_id), key, utcnow(), idle_limit())
    if session.dirty:
        session.commit()  # last seen, or ended for being idle, before the request's own work
    if found is None:
        return None
    row, user = found
    return LoginUser(user, key, row.id)


def idle_limit() -> timedelta:
    """How long a session lasts without a request (SLM_SESSION_IDLE_MINUTES)."""
    return timedelta(minutes=current_app.config["SLM_SESSION_IDLE_MINUTES"])


@login_manager.request_loader
def _load_api_user(req):
    """Token authentication for /api/, by the function in app.extensions["slm_api_auth"]."""
    authenticate = current_app.extensions.get("slm_api_auth")
    if not is_api_request() or authenticate is None:
        return None
    user = authenticate(req)
    return LoginUser(user) if user is not None and user.active else None


@login_manager.unauthorized_handler
def _unauthorized():
    if is_api_request():
        return jsonify(error=_("authentication required")), 401
    if request.method != "GET":
        return redirect(url_for("auth.login"))  # a form cannot be re-sent after signing in
    target = request.full_path if request.query_string else request.path
    return redirect(url_for("auth.login", next=target))


# -- declarations on views -------------------------------------------------------------------
def public(view):
    """Anyone may use this view, signed in or not."""
    view.slm_public = True
    return view


def signed_link(view):
    """Anyone may use this view, and POST to it without a CSRF token: it is authenticated by
    the signed token in its URL, does one bounded thing, and mail providers POST to it
    without a session (RFC 8058 one-click unsubscribe). Only that view is declared so."""
    view.slm_public = True
    view.slm_signed_link = True
    return view


def roles_required(*roles: str):
    """Only signed-in users holding one of ``roles`` may use the view (403 otherwise).

    ``@roles_required(*ALL_ROLES)`` means: any signed-in user.
    """
    unknown = set(roles) - ALL_ROLES
    if not roles or unknown:
        raise ValueError(_("roles_required needs roles from %(ROLES)s; got %(roles)s",
                           ROLES=ROLES,
                           roles=roles))

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        wrapper.slm_roles = frozenset(roles)
        return wrapper

    return decorate


def token_or_roles(setting: str, *roles: str):
    """Like ``roles_required(*roles)``, and also open to a request that carries the secret
    token configured in ``app.config[setting]`` as ``Authorization: Bearer <token>`` (for
    machines such as a Prometheus scraper). No token configured: no token is accepted."""
    required = roles_required(*roles)

    def decorate(view):
        checked = required(view)

        @wraps(view)
        def wrapper(*args, **kwargs):
            if bearer_matches(setting):
                return view(*args, **kwargs)
            if request.headers.get("Authorization", "").startswith("Bearer "):
                return jsonify(error=_("the token is not valid here")), 401
            return checked(*args, **kwargs)

        wrapper.slm_roles = checked.slm_roles
        wrapper.slm_token_setting = setting
        return wrapper

    return decorate


def bearer_matches(setting: str) -> bool:
    expected = current_app.config.get(setting) or ""
    given = request.headers.get("Authorization", "")
    return bool(expected) and given.startswith("Bearer ") and hmac.compare_digest(
        given[len("Bearer "):].encode(), expected.encode())


def allowed_roles(view) -> frozenset | None:
    """The roles a view declares (None: public)."""
    return None if getattr(view, "slm_public", False) else getattr(view, "slm_roles", None)


def may_use(endpoint: str, method: str = "GET") -> bool:
    """Whether the current user may use ``endpoint`` (False if it does not exist)."""
    view = current_app.view_functions.get(endpoint)
    if view is None:
        return False
    if getattr(view, "slm_public", False):
        return True
    roles = getattr(view, "slm_roles", frozenset())
    if not current_user.is_authenticated or not current_user.has_role(*roles):
        return False
    return method in SAFE_METHODS or not current_user.is_auditor or endpoint in AUDITOR_MAY_POST


def undeclared_views(app) -> list[str]:
    """Endpoints whose view is neither ``@public`` nor ``@roles_required``."""
    return sorted(endpoint for endpoint, view in app.view_functions.items()
                  if endpoint != "static" and not getattr(view, "slm_public", False)
                  and not getattr(view, "slm_roles", None))


# -- for views -----------------------------------------------------------------------------
def current_actor() -> Actor:
    """The signed-in user as the engine's Actor (organisation key for customers only)."""
    user = current_user
    org = user.organisation_key if user.is_customer else None
    return Actor(name=user.username, roles=frozenset(user.roles), organisation=org)


def check_organisation(organisation_id: int | None) -> None:
    """404 unless the current user may see records of ``organisation_id``.

    Customers see only their own organisation's records; a 404 rather than a 403 does not
    tell them that another organisation's record exists.
    """
    if current_user.is_customer and organisation_id != current_user.organisation_id:
        abort(404)


# -- the central hook ------------------------------------------------------------------------
def _guard():
    view = current_app.view_functions.get(request.endpoint or "")
    if request.endpoint == "static" or getattr(view, "slm_public", False):
        pass
    elif view is None:
        return None  # routing fails next: 404 or 405 for everyone
    elif getattr(view, "slm_token_setting", None) and request.headers.get(
            "Authorization", "").startswith("Bearer "):
        pass  # the view checks the token itself (token_or_roles)
    elif not current_user.is_authenticated:
        return login_manager.unauthorized()
    if (request.method not in SAFE_METHODS and current_user.is_authenticated
            and current_user.is_auditor and request.endpoint not in AUDITOR_MAY_POST):
        g.slm_refusal = _("Auditors read everything and change nothing.")
        abort(403)
    if (request.method not in SAFE_METHODS and not is_api_request()
            and not getattr(view, "slm_signed_link", False)):
        csrf.protect()
    return None


def init_access(app) -> None:
    """Attach Flask-Login and CSRF protection and install the central hook."""
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # valid for the whole session
    app.config.setdefault("SLM_SESSION_IDLE_MINUTES",
                          float(os.environ.get("SLM_SESSION_IDLE_MINUTES", "120")))
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # checked by _guard, outside /api/ only
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    csrf.init_app(app)
    app.before_request(_guard)
    app.jinja_env.globals.update(may_use=may_use)
