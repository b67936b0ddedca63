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


def test_a_filtered_search_lists_the_newest_matches_that_pass_the_filter(datasette, crawled):
    """A facet click on a broad search: the window is taken after the filter."""
    query = "doan the"
    con = sqlite3.connect(crawled["db"])
    relevant_ids = {r[0] for r in con.execute("SELECT id FROM articles WHERE relevant = 1")}
    everything = _search(datasette, query, "&_search_all=1")["rows"]
    passing = [r for r in everything if r["id"] in relevant_ids]
    assert len(passing) > WINDOW
    filtered = _search(datasette, query, "&relevant=1")
    assert {r["id"] for r in filtered["rows"]} == set(_newest_first(passing)[:WINDOW])
    assert filtered["filtered_table_rows_count"] == WINDOW
    assert f"{len(passing):,} articles, the newest {WINDOW} listed" in \
        filtered["human_description_en"]
    # every match, with the filter, when asked
    exact = _search(datasette, query, "&relevant=1&_search_all=1")
    assert {r["id"] for r in exact["rows"]} == {r["id"] for r in passing}
    assert "newest" not in exact["human_description_en"]


def test_a_filter_on_a_column_the_index_also_has(datasette):
    """`title` is a column of articles and of articles_fts: the filter is the article's."""
    data = _search(datasette, "doan the", "&title__contains=" + quote("Thị ủy"))
    assert data["rows"] and all("Thị ủy" in r["title"] for r in data["rows"])
    # an unknown column: whatever Datasette does with it without a search (SQLite reads
    # "nosuch" as a string: no row), the search does too — no crash
    plain = _get(datasette + "/giaoban/articles.json?_shape=objects&nosuch=1")
    searched = _search(datasette, "doan the", "&nosuch=1")
    assert searched["rows"] == plain["rows"] == []


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


def test_without_a_total_the_window_says_more_than(crawled):
    """`total_ms: 0` (here GIAOBAN_SEARCH_TOTAL_MS=0): totals are never counted."""
    with serve(crawled["db"], GIAOBAN_SEARCH_NEWEST=str(WINDOW),
               GIAOBAN_SEARCH_TOTAL_MS="0") as base:
        window = _search(base, "doan the")
        everything = _search(base, "doan the", "&_search_all=1")
    assert f"more than {WINDOW} articles, the newest {WINDOW} listed" in \
        window["human_description_en"]
    assert {r["id"] for r in window["rows"]} == \
        set(_newest_first(everything["rows"])[:WINDOW])


def test_a_small_search_with_a_filter_is_exact(datasette, crawled):
    query = "giao ban khoi dan van nam 2019"
    everything = _search(datasette, query, "&_search_all=1")["rows"]
    assert everything
    relevant = _search(datasette, query, "&relevant=1")["rows"]
    assert {r["id"] for r in relevant} == {r["id"] for r in everything if r["relevant"]}
    other = _search(datasette, query, "&relevant=0")["rows"]
    assert {r["id"] for r in other} == {r["id"] for r in everything if not r["relevant"]}


def test_a_full_csv_export_has_every_match(datasette):
    everything = _search(datasette, "doan the", "&_search_all=1")["rows"]
    status, _, text = fetch(datasette + "/giaoban/articles.csv?_search=doan+the&_stream=1"
                            "&_size=max")
    assert status == 200
    import csv
    import io

    ids = {int(r["id"]) for r in csv.DictReader(io.StringIO(text))}
    assert ids == {r["id"] for r in everything} and len(ids) > WINDOW


def test_a_broken_raw_query_is_reported_not_crashed(datasette):
    status, _, text = fetch(datasette + "/giaoban/articles.json?_searchmode=raw&_search="
                            + quote('"unbalanced'))
    assert status == 400 and "unterminated string" in text  # FTS5's own message, as Datasette gives it
