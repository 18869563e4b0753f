"""``slm run``'s server: waitress, a production WSGI server in pure Python.

Why waitress and not gunicorn for the embedded default: it runs in one process with a pool
of threads, so the timer runner started in that process (the embedded default) runs exactly
once, and the in-memory sign-in throttling sees every attempt; it works on any OS and needs
no configuration. Several processes or machines (gunicorn, ``web.wsgi:app``) are for larger
installs, with SLM_EMBEDDED_RUNNER=0, ``slm runner`` on its own and SLM_RATELIMIT_STORAGE_URL
pointing to Redis (README, "Security"). ``ident=""``: no ``Server`` header naming software.
"""
from __future__ import annotations

import os

from waitress.server import create_server


def make_server(app, host: str, port: int):
    """A waitress server for ``app`` (``.run()`` serves until stopped; ``.close()``)."""
    threads = int(os.environ.get("SLM_THREADS", "8"))
    return create_server(app, host=host, port=port, threads=threads, ident="",
                         # the request body limit is Flask's (web/inputs.py): waitress's own
                         # default (1 GiB) is higher, never lower, than ours
                         clear_untrusted_proxy_headers=True)
