"""The real Datasette app (a subprocess started by `giaoban serve`) over a crawled database."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from urllib.parse import quote

import pytest

from conftest import ROOT, free_port


@pytest.fixture(scope="module")
def datasette(crawled):
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "aggregator.cli", "serve", "--db",
                             str(crawled["db"]), "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/-/versions.json", timeout=2).read()
            break
        except OSError:
            time.sleep(0.3)
    else:
        os.killpg(proc.pid, signal.SIGTERM)
        raise AssertionError("Datasette did not start: " + proc.stderr.read().decode()[-2000:])
    yield base
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=20)


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=20) as r:
        return json.loads(r.read().decode("utf-8"))


def test_articles_json_has_the_crawled_rows(datasette, crawled):
    import sqlite3

    n = sqlite3.connect(crawled["db"]).execute("SELECT count(*) FROM articles").fetchone()[0]
    data = _get(datasette + "/giaoban/articles.json?_shape=objects&_size=max")
    assert data["filtered_table_rows_count"] == n > 30
    titles = {r["title"] for r in data["rows"]}
    assert "Thường trực Thị ủy giao ban với Thường trực UBMTTQ và các đoàn thể chính trị - xã hội Thị xã" in titles
    # default sort: newest first
    pubs = [r["published"] for r in data["rows"] if r["published"]]
    assert pubs == sorted(pubs, reverse=True)


@pytest.mark.parametrize("query", ["trực báo", "truc bao", "Thị uỷ trực báo", "thi uy truc bao"])
def test_search_with_or_without_diacritics(datasette, query):
    data = _get(datasette + "/giaoban/articles.json?_shape=objects&_search=" + quote(query))
    titles = [r["title"] for r in data["rows"]]
    assert any("trực báo" in t.lower() for t in titles), (query, titles)


@pytest.mark.parametrize("query", ["đoàn thể", "doan the", "Đảng ủy", "dang uy"])
def test_search_folds_d_bar(datasette, query):
    data = _get(datasette + "/giaoban/articles.json?_shape=objects&_search=" + quote(query))
    assert len(data["rows"]) >= 3, query


def test_meetings_view_and_metadata(datasette):
    data = _get(datasette + "/giaoban/meetings.json?_shape=objects")
    assert len(data["rows"]) >= 5
    assert all(r["kind"] in ("giao ban", "trực báo", None) for r in data["rows"])
    meta = _get(datasette + "/-/metadata.json")
    assert "articles" in meta["databases"]["giaoban"]["tables"]
