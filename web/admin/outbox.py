"""The mail outbox, for admins: every mail with its state (failed and uncertain ones
first), and each mail as it was written. Without SLM_SMTP_URL this is where mail is read."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import case, func, select

from engine.clock import utcnow
from engine.errors import ConflictError
from engine.i18n import _
from handlers.notifications.delivery import SEND_AGAIN_FROM, send_again
from handlers.notifications.models import MailMessage

from .. import db_session
from ..auth.access import roles_required
from . import PER_PAGE, bp


@bp.get("/outbox")
@roles_required("Admin")
def outbox():
    session = db_session()
    page = max(1, request.args.get("page", 1, type=int))
    total = session.scalar(select(func.count()).select_from(MailMessage)) or 0
    failed_first = case((MailMessage.status.in_(("failed", "uncertain")), 0), else_=1)
    mails = list(session.scalars(select(MailMessage).order_by(
        failed_first, MailMessage.id.desc()).offset((page - 1) * PER_PAGE).limit(PER_PAGE)))
    failed = session.scalar(select(func.count()).select_from(MailMessage).where(
        MailMessage.status == "failed")) or 0
    uncertain = session.scalar(select(func.count()).select_from(MailMessage).where(
        MailMessage.status == "uncertain")) or 0
    return render_template("admin/outbox.html", mails=mails, failed=failed, total=total,
                           uncertain=uncertain, may_send_again=SEND_AGAIN_FROM,
                           page=page, pages=max(1, -(-total // PER_PAGE)))


@bp.get("/outbox/<int:mail_id>")
@roles_required("Admin")
def mail(mail_id: int):
    message = db_session().get(MailMessage, mail_id)
    if message is None:
        abort(404)
    return render_template("admin/mail.html", mail=message, may_send_again=SEND_AGAIN_FROM)


@bp.post("/outbox/<int:mail_id>/send-again")
@roles_required("Admin")
def send_mail_again(mail_id: int):
    """A failed or uncertain mail, pending again (the runner sends it on its next pass)."""
    session = db_session()
    if session.get(MailMessage, mail_id) is None:
        abort(404)
    try:
        mail = send_again(session, mail_id, current_user.username, utcnow())
        session.commit()
    except ConflictError as exc:
        session.rollback()
        flash(str(exc), "warning")
    else:
        flash(_("The mail to %(to)s will be sent again on the runner's next pass.",
                to=mail.to_addr), "success")
    return redirect(url_for("admin.mail", mail_id=mail_id))
