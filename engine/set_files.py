"""Reading a set of files to deploy together: a folder or a ``.zip``.

Only known kinds are taken: ``.bpmn`` diagrams, ``.dmn`` decisions and ``.json`` form and ui
schemas. A zip is read defensively, from its central directory, before anything is
decompressed: at most ``MAX_MEMBERS`` members; no absolute or ``..`` paths, no backslashes or
control characters; no symbolic links, encrypted members or nested archives; each member at
most ``max_bytes`` and all together at most ``MAX_TOTAL_BYTES``, with a compression ratio of at
most ``MAX_RATIO`` (a zip bomb is refused before it is inflated, and a member whose header
lies about its size is cut off at the limit while it is read). Every refusal is a Problem
naming the member.
"""
from __future__ import annotations

import io
import re
import stat
import zipfile
from pathlib import Path, PurePosixPath

from .errors import DeployError, Problem
from .i18n import _
from .xmlsafe import DEFAULT_MAX_BYTES

KNOWN_EXTENSIONS = (".bpmn", ".dmn", ".json")
MAX_MEMBERS = 200
MAX_TOTAL_BYTES = 20 * 1024 * 1024
#: the largest uncompressed/compressed ratio of a member (XML compresses about 10:1)
MAX_RATIO = 100
#: a member smaller than this is never called a bomb, whatever its ratio
RATIO_FLOOR = 64 * 1024
#: plain file names, as stored: letters, digits and . _ - and spaces
SET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ -]{0,120}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def kind_of(name: str) -> str | None:
    lower = name.lower()
    return next((ext for ext in KNOWN_EXTENSIONS if lower.endswith(ext)), None)


def _member_problem(info: zipfile.ZipInfo, max_bytes: int) -> str | None:
    name = info.filename
    if _CONTROL.search(name) or "\\" in name:
        return "the name has control characters or backslashes"
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or re.match(r"^[A-Za-z]:", name):
        return "the path leaves the archive (absolute or with ..)"
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "symbolic links are not accepted"
    if info.flag_bits & 0x1:
        return "encrypted members are not accepted"
    if kind_of(name) is None:
        return (f"only {', '.join(KNOWN_EXTENSIONS)} files may be in a set "
                "(nested archives and other files are refused)")
    if not SET_NAME.fullmatch(path.name):
        return "the file name may use only letters, digits, spaces and . _ -"
    if info.file_size > max_bytes:
        return f"is {info.file_size} bytes uncompressed, over the limit of {max_bytes}"
    if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        return (f"compresses more than {MAX_RATIO}:1 ({info.compress_size} bytes to "
                f"{info.file_size}); refused as a possible zip bomb")
    return None


def read_zip(data: bytes, zip_name: str, *, max_bytes: int = DEFAULT_MAX_BYTES,
             max_zip_bytes: int = MAX_TOTAL_BYTES) -> dict[str, bytes]:
    """{file name: bytes} of the members of a zip; DeployError lists every refused member."""
    if len(data) > max_zip_bytes:
        raise DeployError([Problem(zip_name, _("the archive is %(value)s bytes, over the "
                                               "limit of %(max_zip_bytes)s",
                                               value=len(data),
                                               max_zip_bytes=max_zip_bytes), zip_name)])
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        raise DeployError([Problem(zip_name, _("not a readable .zip archive"), zip_name)]) from None
    if len(infos) > MAX_MEMBERS:
        raise DeployError([Problem(zip_name, _("the archive has %(value)s members, more than "
                                               "%(MAX_MEMBERS)s",
                                               value=len(infos),
                                               MAX_MEMBERS=MAX_MEMBERS), zip_name)])
    problems: list[Problem] = []
    wanted: list[zipfile.ZipInfo] = []
    for info in infos:
        if info.is_dir() or info.filename.startswith("__MACOSX/"):
            continue
        reason = _member_problem(info, max_bytes)
        if reason:
            problems.append(Problem(info.filename[:200], reason, zip_name))
        else:
            wanted.append(info)
    total = sum(i.file_size for i in wanted)
    if total > MAX_TOTAL_BYTES:
        problems.append(Problem(zip_name, _("the members add up to %(total)s bytes, over the "
                                            "limit of %(MAX_TOTAL_BYTES)s",
                                            total=total,
                                            MAX_TOTAL_BYTES=MAX_TOTAL_BYTES), zip_name))
    files: dict[str, bytes] = {}
    for info in wanted if not problems else []:
        base = PurePosixPath(info.filename).name
        if base in files:
            problems.append(Problem(info.filename, _("another member is also named %(base)s",
                                                     base=base),
                                    zip_name))
            continue
        try:
            with archive.open(info) as member:
                content = member.read(max_bytes + 1)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError, EOFError,
                OSError) as exc:
            problems.append(Problem(info.filename, _("cannot be read from the archive "
                                                     "(%(exc)s)",
                                                     exc=exc),
                                    zip_name))
            continue
        if len(content) > max_bytes:
            problems.append(Problem(info.filename, _("is larger than its header says; refused"),
                                    zip_name))
            continue
        files[base] = content
    if problems:
        raise DeployError(problems)
    if not files:
        raise DeployError([Problem(zip_name, _("the archive holds no .bpmn, .dmn or .json file"),
                                   zip_name)])
    return files


def read_dir(folder: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> dict[str, bytes]:
    """{file name: bytes} of the known files of a folder (not its sub-folders, nor its
    hidden files; other files are left alone). Symbolic links are refused."""
    problems, files = [], {}
    entries = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    known = [p for p in entries if kind_of(p.name) is not None]
    if len(known) > MAX_MEMBERS:
        raise DeployError([Problem(str(folder), _("the folder has %(value)s diagram, "
                                                  "decision and form files, more than "
                                                  "%(MAX_MEMBERS)s",
                                                  value=len(known),
                                                  MAX_MEMBERS=MAX_MEMBERS))])
    for path in known:
        if path.is_symlink():
            problems.append(Problem(path.name, _("symbolic links are not accepted"), str(folder)))
        elif not path.is_file():
            continue
        elif not SET_NAME.fullmatch(path.name):
            problems.append(Problem(path.name, _("the file name may use only letters, "
                                                 "digits, spaces and . _ -"), str(folder)))
        elif path.stat().st_size > max_bytes:
            problems.append(Problem(path.name, _("is %(st_size)s bytes, over the limit of "
                                                 "%(max_bytes)s",
                                                 st_size=path.stat().st_size,
                                                 max_bytes=max_bytes), str(folder)))
        else:
            files[path.name] = path.read_bytes()
    if problems:
        raise DeployError(problems)
    if not files:
        raise DeployError([Problem(str(folder), _("the folder holds no .bpmn, .dmn or .json "
                                                  "file"))])
    return files
