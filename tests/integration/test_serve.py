"""Issue 12: `slm run` serves with waitress (a production WSGI server), with no banner naming
software or versions, and sends HSTS when SLM_SECURE_COOKIES=1. The real console script in a
subprocess, on a SQLite file."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

SLM = Path(sys.executable).with_name("slm")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(params=["plain", "secure"])
def served(request, tmp_path):
    url = f"sqlite:///{tmp_path / 'serve.sqlite3'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLM_")}
    env.update(SLM_DATABASE_URL=url, SLM_EMBEDDED_RUNNER="0")
    if request.param == "secure":
        env["SLM_SECURE_COOKIES"] = "1"
    subprocess.run([str(SLM), "db", "upgrade"], env=env, check=True, capture_output=True,
                   timeout=120)
    port = _free_port()
    process = subprocess.Popen([str(SLM), "run", "--port", str(port)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60  # an upper bound for starting, not a timing assertion
    while True:
        try:
            urllib.request.urlopen(f"{base}/login", timeout=2).close()
            break
        except (urllib.error.URLError, ConnectionError):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"slm run did not start: {process.communicate()[0]}")
            time.sleep(0.2)
    yield base, request.param
    process.terminate()
    output = process.communicate(timeout=30)[0]
    assert "development server" not in output.lower()  # werkzeug's warning
    assert "serving on" in output


def test_slm_run_serves_with_waitress_without_banners(served):
    base, kind = served
    with urllib.request.urlopen(f"{base}/login", timeout=10) as response:
        headers = response.headers
        assert response.status == 200 and b"Sign in" in response.read()
    assert headers.get("Server") is None  # neither werkzeug nor waitress, nor a version
    assert "Python" not in str(headers) and "Werkzeug" not in str(headers)
    assert headers["Cache-Control"] == "no-store"
    if kind == "secure":
        assert headers["Strict-Transport-Security"].startswith("max-age=")
    else:
        assert headers.get("Strict-Transport-Security") is None
