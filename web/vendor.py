"""Front-end packages from npm, served from node_modules/ (installed by ``make install``).

Only the folders listed in VENDOR are reachable: nothing else under node_modules is
served, and nothing third-party is committed to this repository.
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory

from .auth.access import public

#: package name in URLs -> folder under node_modules that may be served
VENDOR = {
    "bootstrap": "bootstrap/dist",
    "bpmn-js": "bpmn-js/dist",
}

bp = Blueprint("vendor", __name__)


def node_modules() -> Path:
    return Path(current_app.config["SLM_NODE_MODULES"])


@bp.get("/vendor/<package>/<path:filename>")
@public
def asset(package: str, filename: str):
    folder = VENDOR.get(package)
    if folder is None:
        abort(404)
    # send_from_directory refuses paths that leave the folder ("..", absolute paths)
    return send_from_directory(node_modules() / folder, filename, max_age=86400)
