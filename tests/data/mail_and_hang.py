"""A runner that sends mail and stops at one exact point (the mail runner tests SIGKILL it).

Usage: mail_and_hang.py DATABASE_URL SMTP_URL NOW_ISO TTL_SECONDS POINT AFTER

Runs the product's ``deliver_due`` with one SMTP connection (one mail in flight, so the
point is exact). When sending reaches POINT (``claimed``; ``content``: the content is on
the wire, not its end-of-data line; ``sending``: marked sending, committed; ``accepted``:
the server accepted it, not yet marked sent) for the AFTER-th time (mails counted from 1),
it prints "at POINT MAIL_ID" and sleeps until it is killed.
"""
from __future__ import annotations

import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from engine.db import make_engine, make_session_factory  # noqa: E402
from handlers.notifications import delivery  # noqa: E402


def main(url: str, smtp: str, now: str, ttl: str, point: str, after: str) -> None:
    seen = []

    def stop_here(where, mail):
        if where != point:
            return
        seen.append(mail)
        if len(seen) == int(after):
            mail_id = getattr(mail, "id", None)
            print(f"at {point} {mail_id}", flush=True)
            while True:
                time.sleep(3600)

    delivery.checkpoint = stop_here
    factory = make_session_factory(make_engine(url))
    settings = delivery.MailSettings(smtp_url=smtp, connections=1,
                                     claim_ttl=timedelta(seconds=float(ttl)))
    delivery.deliver_due(factory, settings, datetime.fromisoformat(now), "doomed", limit=50)
    print("finished without stopping", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
