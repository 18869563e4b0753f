"""OpenSLO v1: the catalogue's targets exported and imported back unchanged; bad input
refused line by line, with nothing stored."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml
from sqlalchemy import delete, select

from handlers.catalogue.models import Target
from handlers.catalogue.openslo import OpenSLOError, export_yaml, import_yaml

from . import sla_world

ROOT = Path(__file__).resolve().parents[2]
SLM = ROOT / ".venv" / "bin" / "slm"


def targets(app) -> set:
    with app.extensions["slm"].sessions() as s:
        return {(t.option.service.key, t.option.name, t.metric.key, t.comparator,
                 t.threshold, t.period) for t in s.scalars(select(Target))}


def slm(app_url: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, SLM_DATABASE_URL=app_url, PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run([str(SLM), *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_export_then_import_gives_the_same_targets(app, db_url, tmp_path):
    sla_world.build_catalogue(app)
    before = targets(app)
    assert len(before) == 6
    out = tmp_path / "slos.yaml"
    done = slm(db_url, "export", "openslo", "-o", str(out))
    assert done.returncode == 0, done.stderr
    docs = list(yaml.safe_load_all(out.read_text()))
    assert {d["apiVersion"] for d in docs} == {"openslo/v1"} and len(docs) == 6
    gold = next(d for d in docs if d["metadata"]["name"] == "email-gold-availability")
    assert gold["spec"]["objectives"] == [{"displayName": "availability >= 99.9", "op": "gte",
                                           "value": 99.9, "target": 1}]
    assert gold["spec"]["timeWindow"][0]["duration"] == "1M"
    with app.extensions["slm"].sessions() as s:
        s.execute(delete(Target))
        s.commit()
    assert targets(app) == set()
    done = slm(db_url, "import-openslo", str(out))
    assert done.returncode == 0, done.stderr
    assert "6 targets imported" in done.stdout
    assert targets(app) == before


BAD = """\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: email-gold-availability
  annotations: {slm.service: email, slm.level: Platinum}
spec:
  service: email
  indicator:
    metadata: {name: availability}
  timeWindow:
    - duration: 28d
      isRolling: false
  objectives:
    - op: gt
      value: ninety
---
apiVersion: openslo/v2
kind: SLO
metadata:
  annotations: {slm.level: Gold}
spec:
  service: mail
  indicator:
    metadata: {name: uptime}
  timeWindow: [{duration: 1M}]
  objectives: [{op: gte, value: 99}]
"""


def test_bad_documents_are_refused_line_by_line_and_nothing_is_stored(app):
    sla_world.build_catalogue(app)
    before = targets(app)
    with app.extensions["slm"].sessions() as s:
        with pytest.raises(OpenSLOError) as caught:
            import_yaml(s, BAD)
        s.rollback()
    assert caught.value.lines == [
        "line 5: service 'email' has no level 'Platinum'",
        "line 11: timeWindow duration must be 1M (month) or 1Q (quarter), not '28d'",
        "line 14: op must be 'gte' or 'lte' (a target is met at its threshold), not 'gt'",
        "line 15: value must be a number (the threshold), not 'ninety'",
        "line 17: apiVersion must be 'openslo/v1', not 'openslo/v2'",
        "line 22: unknown service 'mail'",
        "line 24: unknown metric 'uptime'",
    ]
    assert targets(app) == before


def test_malformed_yaml_names_its_line_and_the_command_fails(app, db_url, tmp_path):
    sla_world.build_catalogue(app)
    with app.extensions["slm"].sessions() as s:
        with pytest.raises(OpenSLOError) as caught:
            import_yaml(s, "apiVersion: openslo/v1\nkind: SLO\nspec: [unclosed\n")
    assert caught.value.lines[0].startswith("line 4: not valid YAML")
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD)
    done = slm(db_url, "import-openslo", str(bad))
    assert done.returncode == 1
    assert f"{bad}: line 22: unknown service 'mail'" in done.stderr
    assert "nothing imported" in done.stderr
    with app.extensions["slm"].sessions() as s:  # an export of nothing is an empty file
        assert export_yaml(s, "no-such-service") == ""
