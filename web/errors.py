"""Friendly error pages, and the domain errors they stand for.

engine and handlers raise domain errors; here they become HTTP answers:
NotFoundError 404, PermissionDeniedError 403, ConflictError (and other refusals of the
engine or the domain rules) 409, ValidationError / FormValidationError / CSRF failures 400.
Under ``/api/`` the answer is JSON: ``{"error": message, "errors": {field: [messages]}}``.
"""
from __future__ import annotations

from flask import current_app, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from engine.errors import (
    ConflictError,
    EngineError,
    FormValidationError,
    NotFoundError,
    PermissionDeniedError,
)
from engine.i18n import N_, _
from handlers.errors import DomainError, ValidationError

from .inputs import InputRefused

TITLES = {
    400: N_("The request could not be accepted"),
    401: N_("Please sign in"),
    403: N_("You may not do this"),
    404: N_("Not found"),
    405: N_("Not allowed here"),
    409: N_("Someone else was quicker"),
    413: N_("Too much was sent"),
    422: N_("Some values are not valid"),
    429: N_("Too many attempts"),
    500: N_("Something went wrong on our side"),
}
DEFAULT_MESSAGES = {
    400: N_("Some of what was sent is not valid. Go back, check the form and try again."),
    403: N_("Your role does not allow this page or action. If you need it, ask an "
            "administrator."),
    404: N_("There is nothing at this address, or it is not visible to you."),
    405: N_("This address does not accept that kind of request."),
    409: N_("The record changed since you loaded it. Reload the page and try again."),
    413: N_("The request is larger than this address accepts. Send less and try again."),
    500: N_("The error has been logged. Try again in a moment; if it persists, tell an "
         "administrator what you were doing."),
}


def error_response(code: int, message: str | None = None, errors: dict | None = None):
    """An error page (or JSON under /api/) with ``code``."""
    message = message or _(DEFAULT_MESSAGES.get(code) or TITLES.get(code) or N_("Error"))
    if request.path.startswith("/api/"):
        return jsonify(error=message, errors=errors or {}), code
    templates = [f"errors/{code}.html", "errors/error.html"]
    context = dict(code=code, title=_(TITLES.get(code) or N_("Error")), message=message,
                   errors=errors or {})
    if code < 500:
        return render_template(templates, **context), code
    try:
        return render_template(templates, **context), code
    except Exception:  # the page itself failed (database down?): plain words will do
        current_app.logger.exception("the error page failed")
        return f"<!doctype html><title>{code}</title><h1>{_(TITLES[500])}</h1>", code


def _http_error(exc: HTTPException):
    code = exc.code or 500
    if code >= 500:
        return error_response(500)
    if isinstance(exc, InputRefused):  # says which parameter and why
        return error_response(400, exc.description,
                              {exc.field: [exc.description]} if exc.field else None)
    if code == 413 and request.max_content_length:
        return error_response(413, _("The request is larger than the %(max_content_length)s "
                                     "bytes this address accepts.",
                                     max_content_length=request.max_content_length))
    # A refusal reason set by the access hook, else the default text for the code
    # (werkzeug's own descriptions are written for developers).
    return error_response(code, g.pop("slm_refusal", None))


def _csrf_error(exc: CSRFError):
    return error_response(400, _("The form has expired or was not sent from this site. "
                                 "Reload the page and send it again."))


def _validation(exc: ValidationError | FormValidationError):
    return error_response(400, _("Some values are not valid:"), exc.errors)


def _unexpected(exc: Exception):
    original = getattr(exc, "original_exception", None) or exc
    current_app.logger.error("unhandled error on %s %s", request.method, request.path,
                             exc_info=original)
    return error_response(500)


def register_error_handlers(app) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(ValidationError, _validation)
    app.register_error_handler(FormValidationError, _validation)
    app.register_error_handler(NotFoundError, lambda exc: error_response(404, str(exc)))
    app.register_error_handler(PermissionDeniedError, lambda exc: error_response(403, str(exc)))
    app.register_error_handler(ConflictError, lambda exc: error_response(409, str(exc)))
    # Other refusals (task in the wrong state, instance in error, a domain rule): 409 too.
    app.register_error_handler(EngineError, lambda exc: error_response(409, str(exc)))
    app.register_error_handler(DomainError, lambda exc: error_response(409, str(exc)))
    app.register_error_handler(InternalServerError, _unexpected)
