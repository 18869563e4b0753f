"""gunicorn settings hooks for prometheus_client's multiprocess mode (README: deployment).

Use with ``-c deploy/gunicorn.conf.py`` and ``PROMETHEUS_MULTIPROC_DIR`` set to a directory
of this machine's own: it is emptied when gunicorn starts, and each worker that exits is
marked dead so that its gauges stop counting.
"""
import os
import shutil
from pathlib import Path


def on_starting(server):
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        path = Path(folder)
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
