"""The real Datasette app (a subprocess started by `giaoban serve`) over a crawled database."""

from __future__ import annotations

import json
import re
import sqlite3
import urllib.request
from urllib.parse import quote

import pytest
import yaml

from aggregator.normalize import fold
from conftest import ROOT
from dsserver import fetch, serve


@pytest.fixture(scope="module")
def datasette(crawled):
    with serve(crawled["db"]) as base:
        yield base


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


# -- search: every expected article, whatever the spelling of the query ----------------------
def _tokens(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text.lower())


@pytest.fixture(scope="module")
def corpus(crawled) -> dict[int, tuple[set[str], set[str]]]:
    """id -> (exact tokens of the normalised text, folded tokens): the index, recomputed."""
    from aggregator.normalize import normalize_text

    con = sqlite3.connect(crawled["db"])
    rows = con.execute("SELECT id, title, body FROM articles").fetchall()
    con.close()
    out = {}
    for i, title, body in rows:
        text = normalize_text(title or "") + "\n" + normalize_text(body or "")
        out[i] = (set(_tokens(text)), set(_tokens(fold(text))))
    return out


def _expected(corpus, query: str) -> set[int]:
    """The documented rule: a word with diacritics matches that word, one without any spelling."""
    from aggregator.normalize import normalize_text

    words = _tokens(normalize_text(query))
    return {i for i, (exact, folded) in corpus.items()
            if all((w in folded) if fold(w) == w else (w in exact) for w in words)}


def _found(datasette, query: str) -> set[int]:
    data = _get(datasette + "/giaoban/articles.json?_shape=objects&_size=max&_col=id&_search="
                + quote(query))
    assert data["filtered_table_rows_count"] == len(data["rows"])
    return {r["id"] for r in data["rows"]}


PHRASES = ["trực báo", "đoàn thể", "Đảng ủy", "Thị ủy", "Ủy ban MTTQ", "Đức Phổ", "giao ban",
           "chính trị - xã hội", "hòa", "quý III"]


@pytest.mark.parametrize("phrase", PHRASES)
def test_search_finds_every_expected_article(datasette, corpus, phrase):
    """Accented, unaccented, other tone style, upper case: 100 % of the expected articles."""
    accented = _expected(corpus, phrase)
    assert accented, f"{phrase!r} should occur in the mirror"
    variants = {phrase, fold(phrase), phrase.replace("ủy", "uỷ").replace("Ủy", "Uỷ"),
                phrase.upper(), fold(phrase).upper()}
    for query in variants:
        assert _found(datasette, query) == _expected(corpus, query), query
    assert _found(datasette, fold(phrase)) >= accented  # folding only ever adds articles


def test_accented_query_is_narrower_than_its_folded_form(datasette, corpus):
    # "hòa" (peace, harmony) must not bring every "hoa", "hóa", "hoá" along
    assert _found(datasette, "hòa") < _found(datasette, "hoa")
    assert _found(datasette, "đoàn") < _found(datasette, "doan") or \
        _found(datasette, "đoàn") == _found(datasette, "doan") == _expected(corpus, "doan")


# -- tables, views, facets, metadata -----------------------------------------------------------
def test_facets_on_articles_and_meetings(datasette):
    articles = _get(datasette + "/giaoban/articles.json?_size=1")
    assert {"province", "level", "period_year", "period_quarter", "meeting_kind", "source",
            "relevant"} <= set(articles["facet_results"])
    meetings = _get(datasette + "/giaoban/meetings.json?_size=1")
    assert {"province", "level", "kind", "period_year", "period_quarter", "source"} <= set(
        meetings["facet_results"])
    provinces = {v["value"] for v in meetings["facet_results"]["province"]["results"]}
    assert {"Quảng Ngãi", "Hà Tĩnh"} <= provinces


@pytest.mark.parametrize("table,column", [("meetings", "published"),
                                          ("stories", "first_published")])
def test_newest_first(datasette, table, column):
    rows = _get(datasette + f"/giaoban/{table}.json?_shape=objects&_size=max")["rows"]
    values = [r[column] for r in rows if r[column]]
    assert len(values) >= 5 and values == sorted(values, reverse=True)


def test_every_visible_column_is_described(crawled):
    """Analysts read the descriptions: a new table or column needs one (or `hidden: true`)."""
    meta = yaml.safe_load((ROOT / "db" / "metadata.yaml").read_text("utf-8"))
    tables = meta["databases"]["giaoban"]["tables"]
    con = sqlite3.connect(crawled["db"])
    names = [r[0] for r in con.execute(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE "
        "'sqlite_%' AND name NOT LIKE 'articles_fts%'")]
    missing = []
    for name in names:
        info = tables.get(name, {})
        if info.get("hidden"):
            continue
        if not (info.get("description") or info.get("description_html")):
            missing.append(name)
        columns = [r[1] for r in con.execute(f"PRAGMA table_info([{name}])")]
        missing += [f"{name}.{c}" for c in columns if c not in (info.get("columns") or {})]
    con.close()
    assert not missing, missing


# -- canned queries, chart, readable pages over the crawled mirror ----------------------------
def _sql(crawled, sql: str) -> list[tuple]:
    con = sqlite3.connect(crawled["db"])
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_canned_queries_agree_with_the_tables(datasette, crawled):
    dated = _sql(crawled, "SELECT count(*) FROM meetings WHERE "
                          "coalesce(meeting_date, published) IS NOT NULL")[0][0]
    quarters = _get(datasette + "/giaoban/briefings_per_quarter.json?_shape=array")
    assert dated >= 5 and sum(q["briefings"] for q in quarters) == dated
    assert all(1 <= q["quarter"] <= 4 for q in quarters)
    chairs = _get(datasette + "/giaoban/chairs.json?_shape=array")
    assert sum(c["chaired"] for c in chairs) == _sql(
        crawled, "SELECT count(*) FROM meetings WHERE chair IS NOT NULL AND chair != ''")[0][0]
    assert [c["chaired"] for c in chairs] == sorted((c["chaired"] for c in chairs), reverse=True)
    multi = _get(datasette + "/giaoban/multi_portal_stories.json?_shape=array")
    assert len(multi) == _sql(crawled, "SELECT count(*) FROM stories WHERE n_sources > 1")[0][0]
    silent = {r["name"] for r in _get(datasette + "/giaoban/silent_sources.json?_shape=array")}
    # every mirror portal's newest article is years old
    assert silent == {r[0] for r in _sql(crawled, "SELECT name FROM sources")}


def test_chart_counts_every_dated_briefing(datasette, crawled):
    status, headers, html = fetch(datasette + "/-/chart")
    assert status == 200 and "script-src 'none'" in headers["Content-Security-Policy"]
    svg = html.split("<svg", 1)[1].split("</svg>", 1)[0]
    counts = [int(n) for n in re.findall(r"<title>[^<]*: (\d+)</title>", svg)]
    assert sum(counts) == _sql(crawled, "SELECT count(*) FROM meetings WHERE "
                                        "coalesce(meeting_date, published) IS NOT NULL")[0][0]
    for (province,) in _sql(crawled, "SELECT DISTINCT province FROM meetings"):
        assert f'data-province="{province}"' in svg
    home = fetch(datasette + "/")[2]
    assert 'href="/-/chart"' in home


def test_article_pages_show_text_images_and_captions(datasette, crawled):
    rows = _sql(crawled, "SELECT id, title, images, url FROM articles WHERE relevant = 1")
    assert len(rows) >= 5
    for article_id, title, images, url in rows:
        status, headers, html = fetch(datasette + f"/-/article/{article_id}")
        assert status == 200 and "script-src 'none'" in headers["Content-Security-Policy"]
        assert f'<h1 id="article-title">{title}</h1>' in html
        body = html.split('id="article-body">', 1)[1].split("</div>", 1)[0]
        for image in json.loads(images):
            assert f'src="{image["src"]}"' in body.replace("&amp;", "&")
            if image.get("caption"):
                assert f"<figcaption>{image['caption']}</figcaption>" in body
        assert f'href="{url}"' in html.replace("&amp;", "&")  # the original
