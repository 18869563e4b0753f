"""Deploying a set (a folder or a .zip of diagrams, decisions, form and ui schemas): every
file is checked before any is stored, every problem is listed by file and element, and a zip
is read within bounds (each refusal has its test). Both backends; the CLI in a subprocess."""
from __future__ import annotations

import io
import shutil
import stat
import zipfile

import pytest
from conftest import DATA, T0
from sqlalchemy import func, select
from test_cli_deploy import slm

from engine.deploy_set import deploy_set, read_dir, read_zip
from engine.errors import DeployError
from engine.models import ProcessVersion

SET = DATA / "dmn"
FILES = {p.name: p.read_bytes() for p in SET.iterdir()}
FULL = {"full.bpmn": (DATA / "full.bpmn").read_bytes(),
        "request.schema.json": (DATA / "request.schema.json").read_bytes(),
        "approve.schema.json": (DATA / "approve.schema.json").read_bytes()}


def versions(factory) -> int:
    with factory() as s:
        return s.execute(select(func.count()).select_from(ProcessVersion)).scalar_one()


def deploy_files(engine, factory, files: dict[str, bytes]):
    with factory() as s:
        results = deploy_set(s, files, registry=engine.registry, known_lanes=engine.known_lanes,
                             actor="olivia", now=T0, note="the set")
        s.commit()
    return results


def refused(engine, factory, files) -> list[str]:
    with pytest.raises(DeployError) as err:
        deploy_files(engine, factory, files)
    assert versions(factory) == 0
    return [str(p) for p in err.value.problems]


def test_a_set_deploys_every_diagram_with_its_decisions_and_forms(engine, factory):
    results = deploy_files(engine, factory, {**FILES, **FULL})
    assert sorted((r.process_id, r.version, r.created) for r in results) == [
        ("full", 1, True), ("risk_route", 1, True), ("totals", 1, True)]
    with factory() as s:
        row = s.execute(select(ProcessVersion).where(ProcessVersion.process_id == "risk_route")
                        ).scalar_one()
        assert '"risk_route.dmn"' in row.dmn_json and row.note == "the set"
    again = deploy_files(engine, factory, {**FILES, **FULL})
    assert not any(r.created for r in again)


def test_every_problem_of_every_file_is_listed_and_nothing_is_stored(engine, factory):
    files = {**FILES, **FULL,
             "risk_route.dmn": FILES["risk_route.dmn"].replace(b'"review"', b'"review" +'),
             "request.schema.json": b'{"type": "object", "properties": 5}',
             "full.bpmn": FULL["full.bpmn"].replace(b'name="Customer"', b'name="Nobody"'),
             "notes.txt": b"hello"}
    problems = refused(engine, factory, files)
    assert "notes.txt: only .bpmn, .dmn, .json files may be in a set" in problems
    assert ("risk_route.dmn: rule_costly: rule 1, output 'Route' has a syntax error on line 1:"
            " invalid syntax") in problems
    assert "risk_route.bpmn: assess_risk: no DMN file deployed with the diagram has the " \
           "decision 'risk_route': risk_route.dmn could not be read (see its problems)" \
           in problems
    assert any(p.startswith("request.schema.json: ") for p in problems), problems
    assert any(p.startswith("full.bpmn: submit: lane 'Nobody'") and "is not a role" in p
               for p in problems), problems


def test_a_set_refuses_the_same_process_in_two_files(engine, factory):
    problems = refused(engine, factory, {**FILES, "copy.bpmn": FILES["risk_route.bpmn"]})
    assert problems == ["risk_route.bpmn: risk_route: the process is also in copy.bpmn"]
    assert refused(engine, factory, {"risk_route.dmn": FILES["risk_route.dmn"]}) == [
        "set: the set has no .bpmn diagram"]
    twice = refused(engine, factory, {**FILES, "copy.dmn": FILES["risk_route.dmn"]})
    assert twice == ["copy.dmn: risk_route: the decision id is also used by risk_route.dmn"]


# -- reading a zip ----------------------------------------------------------------------------
def zip_of(members: dict[str, bytes], *, compression=zipfile.ZIP_DEFLATED, tweak=None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = compression
            if tweak is not None:
                tweak(info)
            archive.writestr(info, data)
    return buf.getvalue()


def test_a_zip_is_read_into_its_files_folders_flattened():
    data = zip_of({"set/risk_route.bpmn": FILES["risk_route.bpmn"], "set/": b"",
                   "risk_route.dmn": FILES["risk_route.dmn"],
                   "__MACOSX/._risk_route.dmn": b"\0\0"})
    assert sorted(read_zip(data, "set.zip")) == ["risk_route.bpmn", "risk_route.dmn"]


def symlink(info):
    info.external_attr = (stat.S_IFLNK | 0o777) << 16


def encrypted_zip() -> bytes:
    """A zip whose member is flagged encrypted (bit 0 of its central directory flags)."""
    data = bytearray(zip_of({"secret.bpmn": b"x"}))
    central = data.index(b"PK\x01\x02")
    data[central + 8] |= 0x1
    return bytes(data)


@pytest.mark.parametrize(("members", "kwargs", "expected"), [
    ({"../evil.bpmn": b"x"}, {}, "../evil.bpmn: the path leaves the archive (absolute or with ..)"),
    ({"/etc/evil.bpmn": b"x"}, {}, "/etc/evil.bpmn: the path leaves the archive"),
    ({"a\\b.bpmn": b"x"}, {}, "a\\b.bpmn: the name has control characters or backslashes"),
    ({"link.bpmn": b"/etc/passwd"}, {"tweak": symlink},
     "link.bpmn: symbolic links are not accepted"),
    ({"inner.zip": b"PK"}, {}, "inner.zip: only .bpmn, .dmn, .json files may be in a set"),
    ({"run.py": b"print(1)"}, {}, "run.py: only .bpmn, .dmn, .json files may be in a set"),
    ({"bomb.bpmn": b"\0" * 900_000}, {}, "bomb.bpmn: compresses more than 100:1"),
    ({"big.bpmn": b"<a/>" * 300_000}, {"compression": zipfile.ZIP_STORED},
     "big.bpmn: is 1200000 bytes uncompressed, over the limit of 1000000"),
    ({"a/x.dmn": b"<a/>", "b/x.dmn": b"<b/>"}, {}, "b/x.dmn: another member is also named x.dmn"),
    ({"bad name!.bpmn": b"x"}, {}, "bad name!.bpmn: the file name may use only letters"),
])
def test_zip_refusals_name_the_member(members, kwargs, expected):
    with pytest.raises(DeployError) as err:
        read_zip(zip_of(members, **kwargs), "set.zip", max_bytes=1_000_000)
    problems = [str(p) for p in err.value.problems]
    assert any(p.startswith(f"set.zip: {expected}") for p in problems), problems


def test_zip_refusals_of_the_whole_archive():
    def refusal(data, **kw) -> str:
        with pytest.raises(DeployError) as err:
            read_zip(data, "set.zip", **kw)
        return str(err.value)

    assert refusal(b"not a zip") == "set.zip: not a readable .zip archive"
    assert refusal(encrypted_zip()) == "set.zip: secret.bpmn: encrypted members are not accepted"
    many = zip_of({f"f{i}.json": b"{}" for i in range(201)})
    assert refusal(many) == "set.zip: the archive has 201 members, more than 200"
    assert refusal(b"PK" + b"\0" * 2000, max_zip_bytes=1000) == \
        "set.zip: the archive is 2002 bytes, over the limit of 1000"
    assert refusal(zip_of({"a/": b""})) == \
        "set.zip: the archive holds no .bpmn, .dmn or .json file"


def test_a_member_whose_header_lies_about_its_size_is_refused():
    data = bytearray(zip_of({"x.bpmn": b"<a/>" * 1000}, compression=zipfile.ZIP_STORED))
    central = data.index(b"PK\x01\x02")
    data[central + 24:central + 28] = (40).to_bytes(4, "little")  # "40 bytes uncompressed"
    assert zipfile.ZipFile(io.BytesIO(bytes(data))).infolist()[0].file_size == 40
    with pytest.raises(DeployError) as err:
        read_zip(bytes(data), "set.zip", max_bytes=1000)
    [problem] = err.value.problems
    assert (problem.file, problem.element_id) == ("set.zip", "x.bpmn")
    assert problem.message.startswith(("cannot be read from the archive",
                                       "is larger than its header says")), problem


# -- a folder, and slm deploy DIR -------------------------------------------------------------
def test_a_folder_is_read_without_its_other_files(tmp_path):
    for name, data in FILES.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "README.md").write_text("notes")
    (tmp_path / ".hidden.bpmn").write_text("x")
    assert sorted(read_dir(tmp_path)) == sorted(FILES)
    (tmp_path / "elsewhere.dmn").symlink_to(tmp_path / "risk_route.dmn")
    with pytest.raises(DeployError, match="elsewhere.dmn: symbolic links are not accepted"):
        read_dir(tmp_path)


def test_slm_deploy_a_folder_and_a_zip(db_url, factory, tmp_path):
    folder = tmp_path / "set"
    shutil.copytree(SET, folder)
    done = slm(db_url, "deploy", "--note", "first set", str(folder), handlers=False)
    assert (done.returncode, done.stderr, done.stdout) == (0, "", "risk_route: version 1 "
                                                                  "(created)\n")
    (folder / "risk_route.dmn").write_bytes(FILES["risk_route.dmn"].replace(
        b"&gt; 1000", b"&gt; &gt; 1000"))
    (folder / "other.bpmn").write_bytes(FULL["full.bpmn"])
    broken = slm(db_url, "deploy", str(folder), handlers=False)
    assert broken.returncode == 1
    lines = broken.stderr.splitlines()
    assert lines[0] == f"{folder}: refused, nothing stored"
    assert "risk_route.dmn: rule_costly: rule 1, input 'Cost of the change' has a syntax " \
           "error on line 1: invalid syntax" in lines
    assert any(line.startswith("other.bpmn: ") for line in lines), lines
    assert versions(factory) == 1
    # one diagram: its decision is found beside it
    (folder / "risk_route.dmn").write_bytes(FILES["risk_route.dmn"].replace(b"1000", b"900"))
    single = slm(db_url, "deploy", str(folder / "risk_route.bpmn"), handlers=False)
    assert (single.returncode, single.stdout) == (0, "risk_route: version 2 (created)\n")
    archive = tmp_path / "set.zip"
    archive.write_bytes(zip_of({"../x.bpmn": b"x"}))
    bad_zip = slm(db_url, "deploy", str(archive), handlers=False)
    assert bad_zip.returncode == 1 and "set.zip: ../x.bpmn: the path leaves the archive" \
        in bad_zip.stderr
