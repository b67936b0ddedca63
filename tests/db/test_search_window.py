"""`?_search=` through the real Datasette when a search matches more than the window.

The window is 1 000 in production (db/metadata.yaml); here it is 3 (GIAOBAN_SEARCH_NEWEST) so
the crawled mirror has searches larger than it.
"""

from __future__ import annotations

import json
import sqlite3
import urllib.request
from urllib.parse import quote

import pytest

from dsserver import fetch, serve

WINDOW = 3


@pytest.fixture(scope="module")
def datasette(crawled):
    with serve(crawled["db"], GIAOBAN_SEARCH_NEWEST=str(WINDOW)) as base:
        yield base


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=20) as r:
        return json.loads(r.read().decode("utf-8"))


def _search(base: str, query: str, extra: str = "") -> dict:
    return _get(f"{base}/giaoban/articles.json?_shape=objects&_size=max&_search={quote(query)}"
                + extra)


def _newest_first(rows: list[dict]) -> list[int]:
    """Publication day, then id, newest first: the order of the search key."""
    return [r["id"] for r in sorted(rows, key=lambda r: ((r["published"] or "")[:10], r["id"]),
                                    reverse=True)]


@pytest.mark.parametrize("query", ["doan the", "đoàn thể", "Thị uỷ"])
def test_a_broad_search_lists_the_newest_matches_and_says_how_many(datasette, query):
    everything = _search(datasette, query, "&_search_all=1")
    total = everything["filtered_table_rows_count"]
    assert total > WINDOW, query  # the mirror must have a search larger than the window
    window = _search(datasette, query)
    assert window["filtered_table_rows_count"] == len(window["rows"]) == WINDOW
    assert f"{total:,} articles, the newest {WINDOW:,} listed" in window["human_description_en"]
    # exactly the newest matches of the full search, still sorted newest first
    assert {r["id"] for r in window["rows"]} == set(_newest_first(everything["rows"])[:WINDOW])
    pubs = [r["published"] for r in window["rows"]]
    assert pubs == sorted(pubs, reverse=True)


def test_a_filter_makes_the_search_exact(datasette, crawled):
    query = "doan the"
    con = sqlite3.connect(crawled["db"])
    relevant_ids = {r[0] for r in con.execute("SELECT id FROM articles WHERE relevant = 1")}
    everything = _search(datasette, query, "&_search_all=1")
    expected = {r["id"] for r in everything["rows"]} & relevant_ids
    assert len(expected) > WINDOW
    filtered = _search(datasette, query, "&relevant=1")
    assert {r["id"] for r in filtered["rows"]} == expected
    assert filtered["filtered_table_rows_count"] == len(expected)
    assert "newest" not in filtered["human_description_en"]


def test_a_small_search_is_exact_and_unlabelled(datasette, crawled):
    query = "giao ban khoi dan van nam 2019"
    everything = _search(datasette, query, "&_search_all=1")
    assert 0 < everything["filtered_table_rows_count"] <= WINDOW
    data = _search(datasette, query)
    assert {r["id"] for r in data["rows"]} == {r["id"] for r in everything["rows"]}
    assert f'search matches "{query}"' in data["human_description_en"]
    assert "newest" not in data["human_description_en"]


def test_column_search_and_raw_mode(datasette):
    titled = _search(datasette, "", "&_search_title=" + quote("trực báo"))["rows"]
    assert titled and all("trực báo" in r["title"].lower() for r in titled)
    raw = _search(datasette, "title_fold:truc", "&_searchmode=raw&_search_all=1")["rows"]
    assert {r["id"] for r in raw} >= {r["id"] for r in titled}
    status, _, text = fetch(datasette + "/giaoban/articles.json?_search_nosuch=x")
    assert status == 400 and "Cannot search by that column" in text


def test_the_search_box_is_on_the_articles_page(datasette):
    status, _, html = fetch(datasette + "/giaoban/articles?_search=" + quote("doan the"))
    assert status == 200
    assert 'id="_search"' in html and 'value="doan the"' in html
    assert "the newest 3 listed" in html
