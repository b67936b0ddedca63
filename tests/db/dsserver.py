"""Start the real Datasette (`giaoban serve`, a subprocess) over a database, and fetch from it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from conftest import ROOT, free_port


@contextmanager
def serve(db: str | Path, **environ: str) -> Iterator[str]:
    """`giaoban serve --db DB` on a free port; yields its base URL, stops the whole group.
    `environ` adds environment variables (e.g. GIAOBAN_SEARCH_NEWEST)."""
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT), **environ)
    log = tempfile.TemporaryFile()  # a file, not a pipe: the access log must never block it
    proc = subprocess.Popen([sys.executable, "-m", "aggregator.cli", "serve", "--db", str(db),
                             "--port", str(port)], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise AssertionError("Datasette did not start: "
                                         + log.read().decode()[-2000:]) from None
                time.sleep(0.2)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
        log.close()


def fetch(url: str) -> tuple[int, dict, str]:
    """(status, headers, text) — HTTP errors are returned, not raised."""
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, dict(r.headers), r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode("utf-8", "replace")


def get_json(url: str) -> dict | list:
    status, _, text = fetch(url)
    assert status == 200, (url, status, text[:500])
    return json.loads(text)
