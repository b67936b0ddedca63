"""Crawled script injections never run: the real headless Chromium on the real Datasette.

The bad-input site carries 8 articles full of XSS probes (mirror/badinput/generate.py `_xss`:
script tags, event handlers, javascript: URLs, SVG onload, CSS expressions, `<img src=x
onerror>`, a title holding `</title><script>`, mXSS shapes, a probe in the URL). They are
crawled like any page, stored, and then shown everywhere an analyst or a reader meets them:
Datasette's table, row, search and view pages, the readable article and story pages, the live
and file feeds, and each feed item's HTML rendered as a feed reader renders it.

A probe that runs sets `window.__pwned`, changes the document title to PWNED, marks the DOM
(`data-pwned`) and fetches /pwned from the other host; each is checked after every page. A
positive control runs the same probe unescaped and must trip every check.
"""

from __future__ import annotations

import html
import sqlite3
import time
from pathlib import Path

import feedparser
import pytest
from lxml import etree

from reliability_support import badinput_crawl  # first: puts tests/db and the corpus on the path

import generate  # noqa: E402,I001  (mirror/badinput/generate.py)
from cdp_client import Browser  # noqa: E402  (tests/db)
from conftest import run_cli  # noqa: E402
from dsserver import fetch, serve  # noqa: E402  (tests/db)

MARKS = ("({global: typeof window.__pwned !== 'undefined', title: document.title.includes("
         "'PWNED'), dom: !!document.querySelector('[data-pwned]')})")
SETTLE_S = 0.05  # after the images settled: handlers and beacons have run
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def site():
    crawl = badinput_crawl()
    assert crawl["proc"].returncode == 0, crawl["proc"].stderr[-2000:]
    con = sqlite3.connect(crawl["db"])
    probes = con.execute("SELECT id, story_id, title FROM articles WHERE url LIKE '%/xss/%' "
                         "ORDER BY id").fetchall()
    con.close()
    assert len(probes) == 8, probes
    with serve(crawl["db"]) as base, Browser() as browser:
        yield {"crawl": crawl, "base": base, "browser": browser, "probes": probes,
               "beacon": crawl["other"].hits}


def _visit(browser: Browser, url: str) -> dict:
    """Load a page, let every image load or fail (onerror handlers fire then), read the marks."""
    browser.navigate(url)
    browser.call("Runtime.evaluate", awaitPromise=True, returnByValue=True, expression=(
        "Promise.race([new Promise(r => setTimeout(r, 3000)), Promise.all([...document.images]"
        ".map(i => i.complete ? 1 : new Promise(r => { i.addEventListener('load', r); "
        "i.addEventListener('error', r); })))])"))
    time.sleep(SETTLE_S)
    return browser.evaluate(MARKS)


def _clean(marks: dict) -> bool:
    return not any(marks.values())


def _dialogs(browser: Browser) -> list:
    return [e for e in browser.events if e["method"] == "Page.javascriptDialogOpening"]


def test_positive_control_trips_every_check(site, tmp_path):
    """The detector works: the same probe, unescaped in a page, is seen by every check."""
    before = len(site["beacon"])
    probe = generate.PROBE.replace("@@offhost@@", site["crawl"]["other"].origin)
    page = tmp_path / "control.html"
    page.write_text(f'<html><body><img src="x" onerror="{html.escape(probe)}"></body></html>')
    marks = _visit(site["browser"], page.as_uri())
    assert marks == {"global": True, "title": True, "dom": True}, marks
    deadline = time.monotonic() + 5
    while len(site["beacon"]) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert site["beacon"][before:] == ["/pwned"]
    site["beacon"].clear()


def _datasette_pages(site) -> list[str]:
    pages = ["/", "/giaoban", "/giaoban/articles?_size=100", "/giaoban/articles?_search=giao+ban",
             "/giaoban/articles?_facet=source&_facet=relevant", "/giaoban/meetings",
             "/giaoban/stories", "/giaoban/story_copies", "/giaoban/pages?url__contains=xss",
             "/giaoban/article_urls?url__contains=xss", "/giaoban/crawl_runs", "/-/chart"]
    for article_id, story_id, _ in site["probes"]:
        pages += [f"/giaoban/articles/{article_id}", f"/-/article/{article_id}",
                  f"/giaoban/stories/{story_id}", f"/-/story/{story_id}",
                  f"/giaoban/articles?id={article_id}&_col=title&_col=body&_col=images"]
    return pages


def test_no_probe_runs_in_any_datasette_page(site):
    browser, base = site["browser"], site["base"]
    ran, visited = {}, 0
    for path in _datasette_pages(site):
        marks = _visit(browser, base + path)
        status = browser.evaluate("performance.getEntriesByType('navigation')[0].responseStatus")
        assert status == 200, (path, status)
        visited += 1
        if not _clean(marks):
            ran[path] = marks
    assert visited >= 50
    assert not ran, ran
    payloads = sum(r["body"].count("__pwned") + r["url"].count("__pwned")
                   for r in generate.corpus() if r["kind"] == "xss")
    print(f"\nprobes blocked: {payloads} payloads in {len(site['probes'])} crawled articles, "
          f"{visited} Datasette pages in Chromium, 0 ran")
    assert not _dialogs(browser)
    assert "/pwned" not in site["beacon"]


def test_the_probes_are_shown_as_text(site):
    """The probes did reach the pages (so the check above is not vacuous): as inert text."""
    browser, base = site["browser"], site["base"]
    for article_id, _, title in site["probes"]:
        _visit(browser, f"{base}/-/article/{article_id}")
        assert browser.evaluate("document.querySelector('#article-title').textContent") == title
        assert browser.evaluate("document.querySelectorAll('#article-body script, "
                                "#article-body svg, #article-body iframe, #article-body object, "
                                "#article-body [onerror], #article-body [onload], "
                                "#article-body [style]').length") == 0
        hrefs = browser.evaluate("[...document.querySelectorAll('a[href], img[src]')].map("
                                 "e => e.getAttribute('href') || e.getAttribute('src'))")
        assert not [h for h in hrefs if h.strip().lower().startswith(("javascript:", "data:"))]
        _visit(browser, f"{base}/giaoban/articles/{article_id}")
        assert title in browser.evaluate("document.body.innerText")
    _visit(browser, f"{base}/giaoban/articles?_size=100")
    text = browser.evaluate("document.body.innerText")
    assert "<script>window.__pwned=1" in text and "onerror=" in text


def _reader_page(raw: bytes, fmt: str, page: Path) -> int:
    """The feed as a reader's item list shows it: each title as the reader's parser types it
    (feedparser), each HTML field (RSS description, Atom summary / content) inserted as is."""
    parsed = feedparser.parse(raw).entries
    root = etree.fromstring(raw)
    items = list(root.iter("item") if fmt == "rss" else root.iter(f"{ATOM}entry"))
    assert len(items) == len(parsed)
    parts = []
    for item, entry in zip(items, parsed):
        if fmt == "rss":
            fields = [item.findtext("description") or "",
                      item.findtext("{http://purl.org/rss/1.0/modules/content/}encoded") or ""]
        else:
            fields = [el.text or "" for el in (item.find(f"{ATOM}summary"),
                                               item.find(f"{ATOM}content")) if el is not None]
        title = entry.title if entry.title_detail.type == "text/html" else \
            html.escape(entry.title)
        parts.append(f"<article><h2>{title}</h2>{''.join(fields)}</article>")
    page.write_text(f"<html><body>{''.join(parts)}</body></html>", "utf-8")
    return len(items)


def test_no_probe_runs_from_the_feeds(site, tmp_path):
    browser, base, crawl = site["browser"], site["base"], site["crawl"]
    out = tmp_path / "feeds"
    proc = run_cli("feed", "--db", str(crawl["db"]), "--out", str(out), "--site-url", base)
    assert proc.returncode == 0, proc.stderr
    feeds = {}
    for path in ("/-/feeds/all.rss", "/-/feeds/all.atom", "/-/feeds/source/badinput.rss",
                 "/-/feeds/source/badinput.atom", "/-/feeds/search.rss?q=truc+bao",
                 "/-/feeds/kind/giao-ban.atom"):
        status, _, text = fetch(base + path)
        assert status == 200, path
        feeds[path] = text.encode("utf-8")
        assert _clean(_visit(browser, base + path)), path
    for file in (out / "all.rss", out / "all.atom"):
        feeds[str(file)] = file.read_bytes()
        assert _clean(_visit(browser, file.as_uri())), file
    rendered, ran = 0, {}
    for n, (name, raw) in enumerate(feeds.items()):
        page = tmp_path / f"reader-{n}.html"
        rendered += _reader_page(raw, "rss" if "rss" in name else "atom", page)
        marks = _visit(browser, page.as_uri())
        if not _clean(marks):
            ran[name] = marks
    assert rendered >= 30, rendered
    assert not ran, ran
    print(f"\nfeeds: {len(feeds)} feeds loaded and {rendered} items rendered as a reader does, "
          f"0 probes ran")
    titles = b"".join(feeds.values())
    assert b"__pwned" in titles  # the probes are in the feeds, as escaped text
    assert not _dialogs(browser)
    assert "/pwned" not in site["beacon"]


def test_page_content_never_reaches_sql_or_a_shell(site):
    """A title full of SQL and shell syntax is stored as text; nothing ran it."""
    con = sqlite3.connect(site["crawl"]["db"])
    titles = [r[0] for r in con.execute("SELECT title FROM articles WHERE title LIKE '%DROP TABLE%'")]
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    con.close()
    assert titles and "$(touch /tmp/giaoban-pwned)" in titles[0]
    assert {"articles", "stories", "pages", "sources"} <= tables
    assert not Path("/tmp/giaoban-pwned").exists()
