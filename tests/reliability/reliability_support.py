"""Shared by the reliability tests: the bad-input mirror, an "other host", one real crawl of it.

The bad-input site (mirror/badinput/) is served on its own port; `OtherHost` is a second origin
on 127.0.0.1 (another port is another host) that counts every request it gets: off-host
redirects point at it, and the XSS probes beacon to it if they ever run. The crawl runs once per
test session (`badinput_crawl()`), with the real `giaoban crawl`, and both test_bad_input.py and
test_xss_browser.py read its database.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "db"))  # dsserver, cdp_client
sys.path.insert(0, str(ROOT / "mirror" / "badinput"))

import generate  # noqa: E402  (mirror/badinput/generate.py)

from aggregator.canonical import canonicalize  # noqa: E402
from scrapers.mirror import Mirror  # noqa: E402

CRAWL_TIMEOUT_S = 4      # `giaoban crawl --timeout`: the slow pages answer after 8 s (or never)
CRAWL_BOUND_S = 150      # the whole bad-input crawl must finish within this (measured ~35 s)


class OtherHost:
    """A second web server on 127.0.0.1: a crawl of the mirror must never reach it."""

    def __init__(self):
        hits = self.hits = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                hits.append(self.path)
                body = (b"<html><head><title>Tin gia mao</title></head><body><h1>Tin gi\xe1\xba"
                        b"\xa3 m\xe1\xba\xa1o</h1><p>" + b"x " * 300 + b"</p></body></html>")
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def corpus() -> list[dict]:
    """Every route of the bad-input corpus with its `expect` (see generate.py)."""
    return [r for r in generate.corpus() if r.get("expect")]


def key(url: str) -> str:
    """Path and query of a URL as the store keeps it (canonical form), host-independent."""
    p = urlsplit(canonicalize("http://mirror" + url if url.startswith("/") else url))
    return p.path + (f"?{p.query}" if p.query else "")


_CRAWL: dict | None = None


def badinput_crawl() -> dict:
    """One real crawl of the bad-input site per session: mirror, other host, db, log, timing."""
    global _CRAWL
    if _CRAWL is not None:
        return _CRAWL
    work = Path(tempfile.mkdtemp(prefix="giaoban-badinput-"))
    atexit.register(shutil.rmtree, work, ignore_errors=True)
    other = OtherHost()
    mirror = Mirror(base_port=0, names=["badinput"], variables={"offhost": other.origin}).start()
    atexit.register(other.stop)
    atexit.register(mirror.stop)
    sources = work / "sources.yaml"
    sources.write_text(mirror.sources_yaml(), "utf-8")
    db, log = work / "giaoban.db", work / "crawl.log"  # served as /giaoban
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "aggregator.cli", "crawl", "--db", str(db), "--sources",
         str(sources), "--delay", "0", "--timeout", str(CRAWL_TIMEOUT_S), "--no-progress",
         "--log-level", "INFO", "--log-file", str(log)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    seconds = time.monotonic() - started
    _CRAWL = {"db": db, "log": log, "proc": proc, "seconds": seconds, "other": other,
              "mirror": mirror, "origin": mirror.origin("badinput"), "work": work,
              "site": mirror.sites[0]}
    return _CRAWL


def integrity(db: Path) -> dict:
    """The invariants a crash must never break, read through a fresh connection."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        q = lambda sql: con.execute(sql).fetchall()  # noqa: E731
        return {
            "integrity_check": [r[0] for r in q("PRAGMA integrity_check")],
            "foreign_key_violations": q("PRAGMA foreign_key_check"),
            "articles_without_story": q(
                "SELECT id FROM articles WHERE story_id IS NULL OR story_id NOT IN "
                "(SELECT story_id FROM stories)"),
            "stories_without_article": q(
                "SELECT story_id FROM stories WHERE article_id IS NULL OR article_id NOT IN "
                "(SELECT id FROM articles)"),
            "stories_miscounted": q(
                "SELECT s.story_id FROM stories s WHERE s.n_articles != "
                "(SELECT count(*) FROM articles a WHERE a.story_id = s.story_id)"),
            "urls_without_article": q(
                "SELECT url FROM article_urls WHERE article_id NOT IN (SELECT id FROM articles)"),
            "fts_rows": q("SELECT count(*) FROM articles_fts")[0][0],
            "articles": q("SELECT count(*) FROM articles")[0][0],
        }
    finally:
        con.close()


def content(db: Path) -> dict:
    """What a crawl leaves behind, independent of ids and timing: articles and story groups."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        articles = {(key(u), h) for u, h in con.execute("SELECT url, content_hash FROM articles")}
        groups: dict[int, set] = {}
        for story, url in con.execute("SELECT story_id, url FROM articles"):
            groups.setdefault(story, set()).add(key(url))
        return {"articles": articles, "stories": {frozenset(g) for g in groups.values()}}
    finally:
        con.close()
