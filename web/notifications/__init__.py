"""The notification centre: the bell's list (newest first, paged), open (marks read and
goes to the subject), mark all read, preferences, and the signed unsubscribe link."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from engine.clock import utcnow
from engine.errors import NotFoundError
from engine.i18n import N_, _, ngettext
from handlers.errors import ValidationError
from handlers.notifications import operations as notes
from handlers.notifications.kinds import KINDS
from handlers.notifications.mailer import BadToken, read_unsubscribe_token, signing_key
from handlers.notifications.models import CHANNELS

from .. import db_session
from ..auth.access import ALL_ROLES, roles_required, signed_link

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
PER_PAGE = 20
CHANNEL_LABELS = {"in_app": N_("In the app only"), "email": N_("E-mail at once"),
                  "digest": N_("Daily digest"), "off": N_("Off")}


@bp.get("")
@roles_required(*ALL_ROLES)
def index():
    page = max(1, request.args.get("page", 1, type=int))
    listing = notes.list_notifications(db_session(), current_user.id, page, PER_PAGE)
    return render_template("notifications/index.html", page=listing)


@bp.post("/<int:notification_id>/open")
@roles_required(*ALL_ROLES)
def open_one(notification_id: int):
    session = db_session()
    try:
        n = notes.mark_read(session, current_user.id, notification_id, utcnow())
    except NotFoundError:
        abort(404)
    session.commit()
    link = n.link if n.link.startswith("/") and not n.link.startswith("//") else ""
    return redirect(link or url_for("notifications.index"))


@bp.post("/read-all")
@roles_required(*ALL_ROLES)
def read_all():
    session = db_session()
    count = notes.mark_all_read(session, current_user.id, utcnow())
    session.commit()
    flash(ngettext("%(num)s notification marked read.", "%(num)s notifications marked read.",
                   count), "success")
    return redirect(url_for("notifications.index"))


@bp.route("/preferences", methods=["GET", "POST"])
@roles_required(*ALL_ROLES)
def preferences():
    session, errors = db_session(), {}
    if request.method == "POST":
        try:
            for kind in KINDS:
                if kind in request.form:
                    notes.set_preference(session, current_user.id, kind, request.form[kind])
            if "digest_timezone" in request.form or "digest_hour" in request.form:
                notes.set_digest(session, current_user.id,
                                 request.form.get("digest_timezone", "")[:60],
                                 request.form.get("digest_hour", ""))
        except ValidationError as exc:
            session.rollback()
            errors = exc.errors
        else:
            session.commit()
            flash(_("Your notification preferences are saved."), "success")
            return redirect(url_for("notifications.preferences"))
    zone, hour = notes.digest_setting(session, current_user.id)
    if errors:  # show what was typed
        zone = request.form.get("digest_timezone", zone)[:60]
        hour = request.form.get("digest_hour", hour)
    return render_template("notifications/preferences.html", digest_zone=zone,
                           digest_hour=hour,
                           chosen=notes.preferences(session, current_user.id),
                           kinds={k: _(v) for k, v in KINDS.items()},
                           channels=[(c, _(CHANNEL_LABELS[c])) for c in CHANNELS],
                           errors=errors), 400 if errors else 200


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@signed_link
def unsubscribe(token: str):
    """The link in every notification mail (``List-Unsubscribe``, RFC 8058): a signed
    (person, kind, day). GET asks (and changes nothing); POST, with or without a session,
    stops that person's mails of that kind (they stay in the app)."""
    session = db_session()
    try:
        user_id, kind = read_unsubscribe_token(signing_key(session), token,
                                               utcnow().date())
    except BadToken as exc:
        session.rollback()
        return render_template("notifications/unsubscribe.html", invalid=str(exc)), (
            410 if exc.expired else 400)
    done = False
    if request.method == "POST":
        if notes.preferences(session, user_id)[kind] != "off":
            notes.set_preference(session, user_id, kind, "in_app")
        session.commit()
        done = True
    return render_template("notifications/unsubscribe.html", invalid=None, done=done,
                           label=_(KINDS[kind]))


def unread_count() -> int:
    """For the bell on every page (0 when nobody is signed in)."""
    if not current_user.is_authenticated:
        return 0
    return notes.unread_count(db_session(), current_user.id)


def init_notifications(app) -> None:
    app.jinja_env.globals.update(unread_notifications=unread_count)
    app.register_blueprint(bp)
