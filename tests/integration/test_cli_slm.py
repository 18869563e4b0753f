"""`slm` as an operator runs it (the console script, in subprocesses, on a SQLite file):
db upgrade, seed (once), import-measurements with good and bad rows, import-cis, export."""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from engine.clock import utcnow
from engine.db import make_engine, make_session_factory
from handlers.agreements.models import ServiceLevelAgreement
from handlers.delivery.models import Measurement
from web.cli import main

SLM = Path(sys.executable).with_name("slm")


def slm(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLM_")}
    env["SLM_DATABASE_URL"] = url
    env["SLM_LANGUAGE"] = "en"  # whatever the machine's locale: these read the English messages
    return subprocess.run([str(SLM), *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """A SQLite database created by `slm db upgrade` and filled by `slm seed`."""
    url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'slm.sqlite3'}"
    upgraded = slm(url, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    seeded = slm(url, "seed")
    assert (seeded.returncode, seeded.stderr) == (0, ""), seeded.stderr
    db = make_engine(url)
    yield url, make_session_factory(db), seeded.stdout
    db.dispose()


def test_seed_says_what_it_created_and_then_that_it_is_there(seeded):
    url, sessions, out = seeded
    lines = out.splitlines()
    assert "sla_agreement: version 1" in lines and "demo data loaded" in lines
    assert "  users (password demo-password-1):" in lines
    for name in ("admin", "owner", "manager", "auditor", "alice.northwind", "bob.contoso"):
        assert any(line.split()[:1] == [name] for line in lines), name
    assert "catalogue: 6 services, 18 service level options" in out
    assert "waiting for: Choose a service level option" in out
    assert "waiting for: Define the missing supporting processes" in out
    with sessions() as s:
        before = s.scalar(select(func.count()).select_from(Measurement))
    again = slm(url, "seed")
    assert again.returncode == 0
    assert again.stdout.splitlines()[-1] == "demo data already present: nothing changed"
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Measurement)) == before


def test_import_measurements_reports_each_rejected_row_and_imports_nothing_twice(
        seeded, tmp_path):
    url, sessions, _ = seeded
    with sessions() as s:
        ref = s.scalar(select(ServiceLevelAgreement.reference).where(
            ServiceLevelAgreement.status == "active").order_by(ServiceLevelAgreement.id))
        count = s.scalar(select(func.count()).select_from(Measurement))
    at = (utcnow() - timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    later = (utcnow() + timedelta(days=2)).isoformat(timespec="seconds")
    good = [f"{ref},first_response,{(at + timedelta(minutes=m)).isoformat()},{12 + m}"
            for m in (1, 2, 3)]
    data = tmp_path / "delivery.csv"
    data.write_text("\n".join(["sla,metric,measured_at,value", good[0],
                               f"SLA-1999-0999,first_response,{at.isoformat()},5",
                               good[1],
                               f"{ref},first_response,{at.isoformat()},fast",
                               f"{ref},latency,{at.isoformat()},20",
                               f"{ref},first_response,{later},5",
                               good[2]]) + "\n", encoding="utf-8")
    first = slm(url, "import-measurements", str(data), "--source", "test export")
    assert (first.returncode, first.stderr) == (0, "")
    assert first.stdout.splitlines() == [
        "imported 3, duplicates 0, rejected 4 (7 rows)",
        "line 3: unknown SLA 'SLA-1999-0999'",
        "line 5: value 'fast' is not a number",
        f"line 6: metric 'latency' is not a target of SLA '{ref}' (version 2)",
        f"line 7: measured_at {later} is in the future"]
    again = slm(url, "import-measurements", str(data))
    assert again.returncode == 0
    assert again.stdout.splitlines()[0] == "imported 0, duplicates 3, rejected 4 (7 rows)"
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Measurement)) == count + 3
        assert s.scalar(select(func.count()).where(Measurement.source == "test export")) == 3


def invoke(url: str, *args: str):
    """The same commands in-process (quicker) for the edge cases."""
    return CliRunner().invoke(main, list(args), env={"SLM_DATABASE_URL": url,
                                                     "SLM_LANGUAGE": "en"})


def test_imports_exit_1_when_nothing_could_be_imported(seeded, tmp_path):
    url, _, _ = seeded
    bad = tmp_path / "bad.csv"
    bad.write_text("sla,metric,measured_at,value\nSLA-1999-0999,x,2026-01-01T00:00:00,1\n",
                   encoding="utf-8")
    refused = invoke(url, "import-measurements", str(bad))
    assert refused.exit_code == 1
    assert refused.stdout.splitlines() == ["imported 0, duplicates 0, rejected 1 (1 rows)",
                                           "line 2: unknown SLA 'SLA-1999-0999'"]
    assert refused.stderr == f"{bad}: nothing imported\n"
    missing = invoke(url, "import-measurements", str(tmp_path / "nowhere.csv"))
    assert missing.exit_code == 1 and "nowhere.csv: cannot be read" in missing.stderr
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00bad")
    unreadable = invoke(url, "import-cis", str(binary))
    assert unreadable.exit_code == 1 and "not UTF-8 text" in unreadable.stderr
    header = tmp_path / "header.csv"
    header.write_text("key,location\nCI-1,x\n", encoding="utf-8")
    wrong = invoke(url, "import-cis", str(header))
    assert wrong.exit_code == 1 and "lacks the column(s) name, ci_type" in wrong.stderr
    header.write_text("key,title\nCI-1,x\n", encoding="utf-8")
    unknown = invoke(url, "import-cis", str(header))
    assert unknown.exit_code == 1 and "unknown column(s) 'title'" in unknown.stderr


def test_import_cis_and_export_cost_data(seeded, tmp_path):
    url, _, _ = seeded
    cis = tmp_path / "cis.csv"
    cis.write_text("key,name,ci_type,status,location,services\n"
                   "CI-NEW-01,Label printer fleet,Printer,,Warehouses,network\n"
                   "CI-NEW-02,Mystery box,Appliance,,,no-such-service\n", encoding="utf-8")
    imported = slm(url, "import-cis", str(cis))
    assert imported.returncode == 0
    assert imported.stdout.splitlines() == [
        "created 1, updated 0, unchanged 0, rejected 1 (2 rows)",
        "line 3: unknown service(s) 'no-such-service'"]

    out = tmp_path / "cost.csv"
    exported = slm(url, "export", "cost-data", "--format", "csv", "--output", str(out))
    assert (exported.returncode, exported.stderr) == (0, "")
    assert exported.stdout == f"cost-data: 21 rows written to {out}\n"
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert sum(r["record"] == "option" for r in rows) == 19
    agreed = {r["sla_reference"]: r["monthly_cost"] for r in rows if r["record"] == "agreement"}
    assert sorted(agreed.values()) == ["2100.00", "2400.00"]


def test_export_to_standard_output_and_pdfs(seeded, tmp_path):
    url, _, _ = seeded
    out = invoke(url, "export", "change-requests", "--format", "json")
    assert out.exit_code == 0
    doc = json.loads(out.stdout)
    assert (doc["kind"], doc["count"]) == ("change-requests", 3)
    reports = invoke(url, "export", "customer-reports", "--pdf-dir", str(tmp_path / "pdf"))
    assert reports.exit_code == 0
    assert len(list(csv.DictReader(io.StringIO(reports.stdout)))) == 2
    assert len(list((tmp_path / "pdf").glob("SLA-*.pdf"))) == 2
    misused = invoke(url, "export", "cis", "--pdf-dir", str(tmp_path))
    assert misused.exit_code == 2 and "only for customer-reports" in misused.stderr
    unknown = invoke(url, "export", "costs")
    assert unknown.exit_code == 2
