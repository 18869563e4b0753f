"""Sign-in throttling with Flask-Limiter: per account and per client address.

Only failed sign-ins count (``deduct_when``: the login answered 401). Limits are stacked
moving windows, so the wait grows with the failures: with the default account limits, five
failures within a minute make the account wait until a minute has passed since the first,
ten within 15 minutes wait up to 15 minutes, twenty within an hour lock the account for up
to an hour. The account key is the username as typed, whether or not such an account exists,
and the answer is the same in both cases, so throttling tells nobody which accounts exist.

Storage: ``SLM_RATELIMIT_STORAGE_URL`` (e.g. ``redis://host:6379/0``) shares the counts
between every worker and machine; without it they are kept in the memory of each process
(``memory://``), which needs no other server and is exact for the embedded single-process
``slm run``, but with N gunicorn workers (or machines) each keeps its own counts: an attacker
gets up to N times the attempts. Use Redis for several workers.
"""
from __future__ import annotations

import os

from flask import current_app, render_template, request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address

from engine.i18n import N_, _, ngettext

ACCOUNT_LIMITS = "5 per minute; 10 per 15 minutes; 20 per hour"
ADDRESS_LIMITS = "20 per minute; 100 per hour"
LOCKED = N_("Too many failed sign-ins for this username or from your address. "
            "Wait up to %(minutes)s and try again, or ask an administrator.")

limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=False,
                  key_prefix="slm-login")


def storage_url() -> str:
    return os.environ.get("SLM_RATELIMIT_STORAGE_URL", "").strip() or "memory://"


def failed(response) -> bool:
    """Only a refused sign-in counts against the limits."""
    return response.status_code == 401


def account_key() -> str:
    return "account:" + request.form.get("username", "").strip().lower()[:120]


def address_key() -> str:
    return "address:" + (get_remote_address() or "")


def account_limits() -> str:
    return current_app.config["SLM_LOGIN_ACCOUNT_LIMITS"]


def address_limits() -> str:
    return current_app.config["SLM_LOGIN_ADDRESS_LIMITS"]


def throttled(view):
    """The login view, limited per account and per address (POST only)."""
    view = limiter.limit(account_limits, key_func=account_key, methods=["POST"],
                         deduct_when=failed)(view)
    return limiter.limit(address_limits, key_func=address_key, methods=["POST"],
                         deduct_when=failed)(view)


def _too_many(exc: RateLimitExceeded):
    from ..errors import error_response

    seconds = exc.limit.limit.get_expiry() if getattr(exc, "limit", None) else 60
    minutes = max(1, round(seconds / 60))
    message = _(LOCKED, minutes=ngettext("%(num)s minute", "%(num)s minutes", minutes))
    if request.endpoint == "auth.login":
        return render_template("auth/login.html", next=request.values.get("next", ""),
                               username=request.form.get("username", ""),
                               error=message), 429
    return error_response(429, message)


def init_throttle(app) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", storage_url())
    app.config.setdefault("RATELIMIT_STRATEGY", "moving-window")
    app.config.setdefault("SLM_LOGIN_ACCOUNT_LIMITS",
                          os.environ.get("SLM_LOGIN_ACCOUNT_LIMITS", ACCOUNT_LIMITS))
    app.config.setdefault("SLM_LOGIN_ADDRESS_LIMITS",
                          os.environ.get("SLM_LOGIN_ADDRESS_LIMITS", ADDRESS_LIMITS))
    limiter.init_app(app)
    app.register_error_handler(RateLimitExceeded, _too_many)
