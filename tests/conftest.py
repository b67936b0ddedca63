"""Shared test fixtures: the real mirror server, real crawls, a real Datasette."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_cli(*args: str, timeout: int = 300, check: bool = False) -> subprocess.CompletedProcess:
    """Run the real `giaoban` command (python -m aggregator.cli) and capture its output."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "aggregator.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"giaoban {' '.join(args)} exited {proc.returncode}:\n"
                             f"{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="session")
def mirror():
    from scrapers.mirror import Mirror

    m = Mirror(base_port=0).start()
    yield m
    m.stop()


@pytest.fixture(scope="session")
def mirror_sources(mirror, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sources") / "mirror-sources.yaml"
    path.write_text(mirror.sources_yaml(), "utf-8")
    return path


@pytest.fixture(scope="session")
def crawled(mirror, mirror_sources, tmp_path_factory):
    """One real crawl of the whole mirror (Scrapy engine, real HTTP on 127.0.0.1)."""
    db = tmp_path_factory.mktemp("crawl") / "giaoban.db"
    started = time.monotonic()
    first = run_cli("crawl", "--db", str(db), "--sources", str(mirror_sources), "--delay", "0",
                    "--log-level", "WARNING", timeout=600)
    elapsed = time.monotonic() - started
    return {"db": db, "proc": first, "seconds": elapsed}
