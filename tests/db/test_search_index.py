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
