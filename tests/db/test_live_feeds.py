"""Live feeds of the Datasette plugin (db/plugins/feeds.py), served by a real `giaoban serve`
over a copy of the crawled mirror, read with urllib, feedparser and a real reader, newsboat."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote, urljoin

import feedparser
import lxml.html
import pytest

from aggregator import feeds
from conftest import ROOT, free_port

TRICKY_TITLE = 'Thường trực Huyện ủy giao ban <quý I> & "đoàn thể" \'MTTQ\' - A&B; Đảng ủy 5 < 6'
TRICKY_BODY = ('Sáng 5/4, Thường trực Huyện ủy Sơn Tịnh giao ban với Ủy ban MTTQ & các đoàn thể '
               '"chính trị - xã hội" <quý I> (a < b).\n\n<script>alert(1)</script>'
               '<img src=x onerror=alert(2)>Đồng chí Nguyễn Văn A chủ trì.')


def _copy_with_tricky_article(src: Path, dst: Path) -> Path:
    from db.store import Store

    with sqlite3.connect(src.resolve().as_uri() + "?mode=ro", uri=True) as s, \
            sqlite3.connect(dst) as d:
        s.backup(d)
    url = "http://127.0.0.1:1/tin?id=1&x=2"
    store = Store(dst)
    store.save_article({
        "url": url, "canonical_url": url,
        "title": TRICKY_TITLE, "published": "2025-04-05T08:30:00+07:00", "body": TRICKY_BODY,
        "relevant": True, "relevance": {"score": 9, "reasons": []},
        "meeting": {"kind": "giao ban", "level": "huyen", "locality": "huyện Sơn Tịnh"},
    }, source="ducpho", source_info={"province": "Quảng Ngãi"})
    store.close()
    return dst


def _serve(db: Path, log: Path, env_extra: dict | None = None):
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT), **(env_extra or {}))
    out = open(log, "wb")
    proc = subprocess.Popen([sys.executable, "-m", "aggregator.cli", "serve", "--db", str(db),
                             "--port", str(port)], cwd=ROOT, env=env, stdout=out,
                            stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/-/versions.json", timeout=2).read()
            return proc, base, out
        except OSError:
            time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGTERM)
    raise AssertionError("Datasette did not start: " + log.read_text("utf-8")[-2000:])


def _stop(proc, out) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=20)
    out.close()


@pytest.fixture(scope="module")
def live(crawled, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("live")
    db = _copy_with_tricky_article(Path(crawled["db"]), tmp / "giaoban.db")
    log = tmp / "datasette.log"
    proc, base, out = _serve(db, log)
    yield {"base": base, "db": db, "log": log, "tmp": tmp}
    _stop(proc, out)


def get(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def parsed(url: str) -> feedparser.FeedParserDict:
    status, headers, body = get(url)
    assert status == 200, (url, status, body[:300])
    d = feedparser.parse(body)
    assert not d.bozo, (url, d.get("bozo_exception"))
    return d


def relevant_guids(db: Path, where: str = "", *args) -> list[str]:
    with sqlite3.connect(db.resolve().as_uri() + "?mode=ro", uri=True) as c:
        rows = c.execute("SELECT s.story_id FROM stories s JOIN articles a ON a.id = s.article_id "
                         "WHERE s.relevant = 1 " + where + " ORDER BY "
                         "coalesce(a.published, a.first_seen) DESC, s.story_id DESC",
                         args).fetchall()
    return [feeds.story_guid(r[0]) for r in rows]


@pytest.mark.parametrize("fmt,ctype,version", [
    ("rss", "application/rss+xml; charset=utf-8", "rss20"),
    ("atom", "application/atom+xml; charset=utf-8", "atom10")])
def test_global_feed_over_http(live, fmt, ctype, version):
    status, headers, body = get(f"{live['base']}/-/feeds/all.{fmt}")
    assert status == 200 and headers["content-type"] == ctype
    assert headers["cache-control"] == "public, max-age=21600"
    d = feedparser.parse(body)
    assert not d.bozo and d.version == version
    assert [e.id for e in d.entries] == relevant_guids(live["db"])
    assert d.entries[0].title == TRICKY_TITLE
    summary = lxml.html.fragment_fromstring(d.entries[0].summary, create_parent="div")
    assert summary.findall("p")[0].text_content() == TRICKY_BODY.split("\n\n")[0]
    assert "alert" not in d.entries[0].summary and "onerror" not in d.entries[0].summary
    if fmt == "rss":
        assert b"<ttl>360</ttl>" in body
    self_links = [link.href for link in d.feed.links if link.rel == "self"]
    assert self_links == [f"{live['base']}/-/feeds/all.{fmt}"]


@pytest.mark.parametrize("path,column,value", [
    ("source/thiuyducpho", "source", "thiuyducpho"),
    ("province/quang-ngai", "province", "Quảng Ngãi"),
    ("province/Qu%E1%BA%A3ng%20Ng%C3%A3i", "province", "Quảng Ngãi"),
    ("kind/truc-bao", "meeting_kind", "trực báo")])
def test_filtered_feeds_over_http(live, path, column, value):
    want = relevant_guids(live["db"], "AND EXISTS (SELECT 1 FROM articles c WHERE "
                                      f"c.story_id = s.story_id AND c.{column} = ?)", value)
    assert len(want) >= 3
    for fmt in ("rss", "atom"):
        assert [e.id for e in parsed(f"{live['base']}/-/feeds/{path}.{fmt}").entries] == want


@pytest.mark.parametrize("accented,variant,plain", [
    ("trực báo", "TRỰC BÁO", "truc bao"), ("đoàn thể", "Đoàn Thể", "doan the"),
    ("Thị ủy", "Thị uỷ", "thi uy")])
def test_search_feed_finds_what_datasette_finds(live, accented, variant, plain):
    found = {}
    for query in (accented, variant, plain):
        with urllib.request.urlopen(f"{live['base']}/giaoban/articles.json?_shape=objects&"
                                    f"_size=max&_col=story_id&_search={quote(query)}") as r:
            rows = json.loads(r.read())["rows"]
        want = {feeds.story_guid(row["story_id"]) for row in rows}
        got = parsed(f"{live['base']}/-/feeds/search.atom?limit=500&q={quote(query)}")
        assert [e.id for e in got.entries].count(got.entries[0].id) == 1
        assert {e.id for e in got.entries} == want and len(got.entries) == len(want), query
        relevant = parsed(f"{live['base']}/-/feeds/search.rss?limit=500&relevant=1&"
                          f"q={quote(query)}")
        assert {e.id for e in relevant.entries} < want  # the search feed is not only briefings
        found[query] = want
    assert len(found[accented]) >= 3
    assert found[accented] == found[variant]  # case and tone-mark style do not matter
    assert found[plain] >= found[accented]  # unaccented words find every accented spelling


def test_bad_requests(live):
    assert get(f"{live['base']}/-/feeds/search.rss")[0] == 400
    assert get(f"{live['base']}/-/feeds/search.rss?q=%20")[0] == 400
    assert get(f"{live['base']}/-/feeds/source/nowhere.rss")[0] == 404
    assert get(f"{live['base']}/-/feeds/all.json")[0] == 404


def test_conditional_get_returns_304(live):
    url = f"{live['base']}/-/feeds/kind/giao-ban.rss"
    status, h, body = get(url)
    assert status == 200 and h["etag"].startswith('"') and h["last-modified"].endswith("GMT")
    again = get(url)
    assert again[1]["etag"] == h["etag"] and again[2] == body  # stable between requests
    status, h304, body304 = get(url, {"If-None-Match": h["etag"]})
    assert (status, body304, h304["etag"]) == (304, b"", h["etag"])
    assert get(url, {"If-None-Match": f'"other", {h["etag"]}'})[0] == 304
    assert get(url, {"If-Modified-Since": h["last-modified"]})[0] == 304
    assert get(url, {"If-None-Match": '"stale"'})[0] == 200
    assert get(url, {"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})[0] == 200
    # another feed has another validator
    assert get(f"{live['base']}/-/feeds/kind/giao-ban.atom")[1]["etag"] != h["etag"]


def test_pages_advertise_their_feeds(live):
    base = live["base"]
    pages = {
        "/": ["/-/feeds/all.rss", "/-/feeds/all.atom"],
        "/giaoban/articles?source=thiuyducpho&_search=tr%E1%BB%B1c+b%C3%A1o": [
            "/-/feeds/all.rss", "/-/feeds/all.atom", "/-/feeds/source/thiuyducpho.rss",
            "/-/feeds/source/thiuyducpho.atom", "/-/feeds/search.rss?q=tr%E1%BB%B1c+b%C3%A1o",
            "/-/feeds/search.atom?q=tr%E1%BB%B1c+b%C3%A1o"],
        "/giaoban/meetings?province=Qu%E1%BA%A3ng+Ng%C3%A3i": [
            "/-/feeds/all.rss", "/-/feeds/all.atom", "/-/feeds/province/quang-ngai.rss",
            "/-/feeds/province/quang-ngai.atom"],
    }
    for page, want in pages.items():
        status, _, body = get(base + page)
        assert status == 200
        doc = lxml.html.fromstring(body)
        links = doc.xpath('//head/link[@rel="alternate"][contains(@type, "xml")]')
        assert [link.get("href") for link in links] == want, page
        for link in links:
            assert link.get("type") in ("application/rss+xml", "application/atom+xml")
            assert link.get("title")
            parsed(urljoin(base + page, link.get("href")))


def _newsboat(home: Path, url: str, reloads: int = 1) -> list[tuple[str, str, str]]:
    """Reload one feed in newsboat (no terminal) and read back what it stored."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "urls").write_text(url + "\n", "utf-8")
    (home / "config").write_text("auto-reload no\n", "utf-8")
    env = dict(os.environ, HOME=str(home), XDG_CONFIG_HOME=str(home / "config.d"),
               XDG_DATA_HOME=str(home / "data.d"), XDG_CACHE_HOME=str(home / "cache.d"))
    for _ in range(reloads):
        proc = subprocess.run(["newsboat", "-u", "urls", "-c", "cache.db", "-C", "config",
                               "-x", "reload"], cwd=home, env=env, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "rror" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    unread = subprocess.run(["newsboat", "-u", "urls", "-c", "cache.db", "-C", "config",
                             "-x", "print-unread"], cwd=home, env=env, stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, timeout=60)
    with sqlite3.connect(home / "cache.db") as c:
        items = c.execute("SELECT guid, title, url FROM rss_item WHERE feedurl = ? "
                          "ORDER BY pubDate DESC, id", [url]).fetchall()
    assert unread.stdout.strip() == f"{len(items)} unread articles"
    return items


def test_newsboat_reads_the_live_feeds(live):
    assert shutil.which("newsboat"), "newsboat missing: run scripts/install-test-deps.sh"
    with sqlite3.connect(live["db"].resolve().as_uri() + "?mode=ro", uri=True) as c:
        reps = {feeds.story_guid(sid): (title, url) for sid, title, url in c.execute(
            "SELECT s.story_id, a.title, a.url FROM stories s JOIN articles a "
            "ON a.id = s.article_id")}
    for name in ("all.rss", "all.atom", "province/quang-ngai.rss", "kind/truc-bao.atom"):
        url = f"{live['base']}/-/feeds/{name}"
        want = [e.id for e in parsed(url).entries]
        items = _newsboat(live["tmp"] / "newsboat" / name.replace("/", "-"), url)
        assert [guid for guid, _, _ in items] == want, name
        assert all((title, link) == reps[guid] for guid, title, link in items), name
    # the reader's own conditional requests: after its first reloads it gets 304s
    url = f"{live['base']}/-/feeds/source/ducpho.rss"
    items = _newsboat(live["tmp"] / "newsboat" / "again", url, reloads=3)
    assert len(items) == len(set(items)) == len(parsed(url).entries)
    log = live["log"].read_text("utf-8", "replace")
    assert '"GET /-/feeds/source/ducpho.rss HTTP/1.1" 304' in log
    titles = [t for _, t, _ in _newsboat(live["tmp"] / "newsboat" / "tricky",
                                         f"{live['base']}/-/feeds/all.atom")]
    assert TRICKY_TITLE in titles


def test_ttl_and_max_age_follow_the_setting(live, tmp_path):
    proc, base, out = _serve(live["db"], tmp_path / "log", {"GIAOBAN_FEED_TTL_MINUTES": "90"})
    try:
        status, headers, body = get(base + "/-/feeds/all.rss")
        assert status == 200 and headers["cache-control"] == "public, max-age=5400"
        assert b"<ttl>90</ttl>" in body
    finally:
        _stop(proc, out)
