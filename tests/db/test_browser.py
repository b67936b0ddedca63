"""A real headless Chromium (Debian's, installed by scripts/install-test-deps.sh) on the real
Datasette: the analyst's path from the home page to an article, typed without diacritics.

Screenshots are saved under test-artifacts/ (git-ignored) for a human to look at.
"""

from __future__ import annotations

import sqlite3

from cdp_client import Browser
from conftest import ROOT
from dsserver import serve

ARTIFACTS = ROOT / "test-artifacts"
EXPECTED = ("Thường trực Thị ủy giao ban với Thường trực UBMTTQ và các đoàn thể chính trị - xã "
            "hội Thị xã")


def test_home_search_unaccented_open_article(crawled):
    con = sqlite3.connect(crawled["db"])
    (article_id,) = con.execute("SELECT id FROM articles WHERE title = ?", [EXPECTED]).fetchone()
    con.close()
    with serve(crawled["db"]) as base, Browser() as browser:
        browser.navigate(base + "/")
        assert browser.evaluate("document.querySelector('h1').textContent").startswith("giaoban")
        browser.click('a[href="/giaoban/articles"]')
        assert browser.evaluate("location.pathname") == "/giaoban/articles"

        browser.click("input#_search", navigates=False)
        browser.type("nguyen van hai giao ban")
        browser.press_enter()
        assert browser.evaluate("new URLSearchParams(location.search).get('_search')") == \
            "nguyen van hai giao ban"
        titles = browser.evaluate(
            "[...document.querySelectorAll('td.col-title')].map(td => td.textContent.trim())")
        assert EXPECTED in titles, titles
        shot = browser.screenshot(ARTIFACTS / "datasette-search-unaccented.png", full_page=False)
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000

        browser.click(f'td.col-title a[href="/-/article/{article_id}"]')
        assert browser.evaluate("location.pathname") == f"/-/article/{article_id}"
        assert browser.evaluate("document.querySelector('#article-title').textContent") == EXPECTED
        paragraphs = browser.evaluate("document.querySelectorAll('#article-body p').length")
        assert paragraphs >= 2
        assert browser.evaluate("document.querySelectorAll('#carriers li').length") >= 1
        shot = browser.screenshot(ARTIFACTS / "datasette-article.png")
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
