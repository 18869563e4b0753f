"""A person's CSV download names its columns in their language; the same export's JSON, and
the command line's CSV, keep the keys programs read (issue 17)."""
from __future__ import annotations

import csv
import io
import json

from sqlalchemy import select

from handlers.catalogue.ci_import import import_cis_csv
from handlers.people.models import User

from .support import client_login


def _header(body: bytes) -> list[str]:
    return next(csv.reader(io.StringIO(body.decode("utf-8"))))


def test_csv_headers_follow_the_readers_language_and_import_again(app, client, demo):
    manager = demo.users["Service Level Manager"]
    client_login(client, manager)
    english = client.get("/reports/exports/cis.csv")
    assert _header(english.data)[:3] == ["Key", "Name", "CI type"]
    with app.extensions["slm"].sessions() as s:
        s.scalar(select(User).where(User.username == manager.username)).language = "ru"
        s.commit()
    russian = client.get("/reports/exports/cis.csv")
    assert _header(russian.data)[:3] == ["Ключ", "Название", "Тип КЕ"]
    assert json.loads(client.get("/reports/exports/cis.json").data)["columns"][:3] == [
        "key", "name", "ci_type"]
    with app.extensions["slm"].sessions() as s:
        result = import_cis_csv(s, russian.data.decode("utf-8"))
    assert result["rejected"] == [] and result["created"] == 0
