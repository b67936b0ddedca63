"""The search index the one writer keeps (db/search.py, Store._index), on real SQLite FTS5.

Queries go through the same two steps Datasette's `?_search=` takes with the project's plugin:
normalise the query (db.search.normalize_query), then Datasette's own escape_fts().
"""

from __future__ import annotations

import sqlite3
import unicodedata

import pytest
from datasette.utils import escape_fts

from db.search import TOKENIZE, index_columns, normalize_query
from db.store import Store


def article(url: str, title: str, body: str, **extra) -> dict:
    return {"url": url, "canonical_url": url, "title": title, "body": body,
            "published": extra.pop("published", "2024-04-11"), "images": [], **extra}


def search(store: Store, query: str) -> set[int]:
    match = escape_fts(normalize_query(query))
    return {r[0] for r in store.db.execute(
        "SELECT id FROM articles WHERE search_key IN "
        "(SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)", [match]).fetchall()}


@pytest.fixture()
def store(tmp_path):
    s = Store(tmp_path / "giaoban.db")
    yield s
    s.close()


@pytest.fixture()
def corpus(store):
    ids = {}
    for key, title, body in [
        ("hoa", "Hội thi cắm hoa mừng Xuân", "Các đội thi mang đến nhiều tác phẩm hoa tươi."),
        ("hoa_grave", "Giữ gìn hòa bình thôn xóm", "Tổ hòa giải ở cơ sở giúp bà con hòa thuận."),
        ("hoa_acute", "Hiện đại hóa nền hành chính", "Xây dựng đời sống văn hóa ở khu dân cư."),
        # stored in the new tone style ("uỷ") on purpose: the index must normalise it
        ("thi_uy", "Thường trực Thị uỷ trực báo với Mặt trận",
         "Đảng uỷ các xã và các đoàn thể chính trị - xã hội báo cáo kết quả."),
        ("dang", "Người dân đang thu hoạch lúa", "Bà con đang gặt lúa chiêm xuân."),
    ]:
        ids[key], _ = store.save_article(article(f"http://p.vn/{key}", title, body),
                                         source="alpha")
    return ids


def test_fts_table_keeps_diacritics_in_original_columns(store):
    sql = store.db.execute("SELECT sql FROM sqlite_master WHERE name = 'articles_fts'").fetchone()[0]
    assert TOKENIZE in sql and "remove_diacritics 0" in TOKENIZE
    assert [c for c in store.db["articles_fts"].columns_dict] == [
        "title", "body", "title_fold", "body_fold"]


def test_index_columns_normalise_and_fold():
    title, body, title_fold, body_fold = index_columns("Thị uỷ Ðảng", "Đoàn thể\u00a0hoà")
    assert (title, body) == ("Thị ủy Đảng", "Đoàn thể hòa")
    assert (title_fold, body_fold) == ("thi uy dang", "doan the hoa")


def test_unaccented_words_find_every_spelling(store, corpus):
    assert search(store, "hoa") == {corpus["hoa"], corpus["hoa_grave"], corpus["hoa_acute"]}
    assert search(store, "doan the") == {corpus["thi_uy"]}
    assert search(store, "dang uy") == {corpus["thi_uy"]}  # đ → d
    assert search(store, "DANG UY") == {corpus["thi_uy"]}


def test_accented_words_stay_precise(store, corpus):
    assert search(store, "hòa") == {corpus["hoa_grave"]}
    assert search(store, "hóa") == {corpus["hoa_acute"]}
    assert search(store, "hoa tươi") == {corpus["hoa"]}  # mixed: "hoa" folded, "tươi" exact
    assert search(store, "đang") == {corpus["dang"]}  # not "Đảng"
    assert search(store, "Đảng") == {corpus["thi_uy"]}  # not "đang"
    assert search(store, "Đảng uỷ") == {corpus["thi_uy"]}


@pytest.mark.parametrize("query", ["Thị uỷ", "Thị ủy", "thị ủy", "THỊ ỦY", "thi uy",
                                   unicodedata.normalize("NFD", "Thị uỷ"), "Ðảng ủy"])
def test_tone_style_case_and_unicode_form_do_not_matter(store, corpus, query):
    assert search(store, query) == {corpus["thi_uy"]}, query


def test_an_update_replaces_the_indexed_text(store, corpus):
    url = "http://p.vn/edited"
    first, action = store.save_article(
        article(url, "Tin cập nhật", "Nội dung cũ nói về lúa chiêm xuân."), source="alpha")
    assert action == "new" and first in search(store, "lua chiem")
    second, action = store.save_article(
        article(url, "Tin cập nhật lần hai", "Nội dung mới nói về khoai lang."), source="alpha")
    assert (second, action) == (first, "updated")
    assert search(store, "khoai lang") == {first}
    assert search(store, "lần hai") == {first}
    assert first not in search(store, "lua chiem")
    assert search(store, "chiêm") == {corpus["dang"]}  # the other article still has it
    n = store.db.execute("SELECT count(*) FROM articles_fts WHERE rowid = (SELECT search_key "
                         "FROM articles WHERE id = ?)", [first]).fetchone()
    assert n == (1,)


def test_a_deleted_article_leaves_no_search_row(store, corpus):
    with store.db.atomic():
        store.db.execute("UPDATE stories SET article_id = NULL WHERE article_id = ?",
                         [corpus["hoa"]])
        store.db.execute("UPDATE articles SET story_id = NULL WHERE id = ?", [corpus["hoa"]])
        store.db.execute("DELETE FROM article_urls WHERE article_id = ?", [corpus["hoa"]])
        store.db.execute("DELETE FROM articles WHERE id = ?", [corpus["hoa"]])
    assert corpus["hoa"] not in search(store, "hoa")
    assert store.db.execute("SELECT count(*) FROM articles_fts").fetchone()[0] == \
        store.db.execute("SELECT count(*) FROM articles").fetchone()[0]


def test_migration_rebuilds_an_old_index(tmp_path):
    """A database indexed by the first schema (remove_diacritics 2) is re-indexed on open."""
    path = tmp_path / "giaoban.db"
    s = Store(path)
    s.save_article(article("http://p.vn/a", "Giữ gìn hòa bình", "Tổ hòa giải ở Thị uỷ"),
                   source="alpha")
    s.close()
    con = sqlite3.connect(path)
    con.executescript("""
        DROP TRIGGER articles_fts_delete;
        DROP TABLE articles_fts;
        CREATE VIRTUAL TABLE articles_fts USING fts5(title, body, title_fold, body_fold,
            tokenize='unicode61 remove_diacritics 2');
        INSERT INTO articles_fts (rowid, title, body, title_fold, body_fold)
            SELECT id, title, body, '', '' FROM articles;
        DELETE FROM _sqlite_migrations WHERE name IN ('m002_search_exact_accents',
                                                      'm006_search_newest_first');
    """)
    con.commit()
    assert con.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH '\"hoa\"'"
                       ).fetchone() == (1,)  # the old tokenizer merged hoa and hòa
    con.close()
    s = Store(path)
    try:
        assert search(s, "hoa") == {1} and search(s, "hòa") == {1}
        assert s.db.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH "
                            "'title:\"hoa\" OR body:\"hoa\"'").fetchone() == (0,)
        assert search(s, "Thị ủy") == {1}
    finally:
        s.close()


def test_planner_statistics_make_search_pages_start_from_the_search_keys(tmp_path):
    """`Store.analyze`: with statistics, a facet query of a filtered search looks its ~20 keys
    up in the search index instead of scanning every `relevant = 1` row (without them SQLite
    guesses `relevant = 1` selects ~10 rows)."""
    import json

    s = Store(tmp_path / "giaoban.db")
    try:
        with s.batch():
            for i in range(1500):
                s.save_article(article(f"http://p.vn/{i}", f"Tin số {i}",
                                       f"Nội dung {i} về hội nghị" + (" trực báo" if i % 75 == 0
                                                                      else "")),
                               source="alpha")
        s.db.execute("UPDATE articles SET relevant = 1 WHERE id % 2 = 0")
        keys = [r[0] for r in s.db.execute(
            "SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'trực'")]
        assert len(keys) == 20
        sql = ("SELECT level AS value, count(*) AS count FROM (SELECT * FROM articles WHERE "
               "\"relevant\" = :p0 AND search_key IN (SELECT value FROM json_each(:keys))) "
               "WHERE level IS NOT NULL GROUP BY level")

        def plan() -> str:
            return " ".join(r[3] for r in s.db.execute(
                "EXPLAIN QUERY PLAN " + sql, {"p0": "1", "keys": json.dumps(keys)}))

        assert "idx_articles_relevant_level" in plan()  # the guess: scan relevant = 1
        s.analyze()
        assert s.db.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'articles'"
                            ).fetchone()[0] > 10
        assert "idx_articles_search " in plan() + " " and "json_each" in plan(), plan()
    finally:
        s.close()


def test_search_keys_are_unique_and_newest_first():
    from db.search import search_key

    dated = [search_key(7, "2024-04-11T08:00:00+07:00"), search_key(3, "2024-04-11"),
             search_key(9, "2023-12-31"), search_key(2, "2025-01-02T23:59:00+07:00")]
    # by publication day, then id: the order FTS5 walks (rowid) is the publication order
    assert sorted(dated, reverse=True) == [dated[3], dated[0], dated[1], dated[2]]
    assert len({search_key(i, "2024-04-11") for i in range(1000)}) == 1000
    # undated: the day it was archived; unparseable: the same, else before everything
    assert search_key(5, None, "2024-04-11T10:00:00+00:00") == search_key(5, "2024-04-11")
    assert search_key(5, "ngày 11/4", "2024-04-11") == search_key(5, "2024-04-11")
    assert search_key(5, None, None) == 5 < search_key(1, "0001-01-02")


def test_an_edit_that_changes_the_date_moves_the_search_row(store, corpus):
    """The search row follows the article's key when a revision changes its date."""
    url = "http://p.vn/hoa"
    store.save_article(article(url, "Hội thi cắm hoa mừng Xuân", "Bài đã sửa: hoa tươi.",
                               published="2025-02-01"), source="alpha")
    key = store.db.execute("SELECT search_key FROM articles WHERE id = ?",
                           [corpus["hoa"]]).fetchone()[0]
    assert key >> 32 == __import__("datetime").date(2025, 2, 1).toordinal()
    rows = store.db.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'sửa'"
                            ).fetchall()
    assert rows == [(key,)]
    assert store.db.execute("SELECT count(*) FROM articles_fts").fetchone()[0] == \
        store.db.execute("SELECT count(*) FROM articles").fetchone()[0]
