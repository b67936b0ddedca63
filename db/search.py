"""Full-text search keys for Vietnamese: what goes into `articles_fts` and how a query is read.

Design (README "Datasette for analysts"):

* `articles_fts` has four columns. `title` and `body` hold the normalised text (NFC, one
  tone-mark style) and are tokenised with ``unicode61 remove_diacritics 0``: a token keeps its
  marks, so an accented query word matches only that exact word ("hòa" never matches "hoa",
  "đang" never matches "đảng"). `title_fold` and `body_fold` hold `fold(text)` — lower case, no
  marks, đ → d — so they contain only unaccented tokens.
* A query word typed *with* any diacritic (or đ) can only match the original columns; a word
  typed *without* diacritics matches the folded columns, i.e. every accented spelling of it
  ("truc bao" finds "trực báo", "doan the" finds "đoàn thể"). No column filter is needed: the
  folded columns never contain an accented token, and a plain word that matches an original
  column also matches its folded copy.
* The query is normalised exactly like the stored text (`normalize_query`): NFC, "uỷ" → "ủy",
  "Ð" → "Đ". Datasette's `escape_fts()` is wrapped so that `?_search=` does this before quoting
  (db/plugins/giaoban_search.py).
* A search row's rowid is the article's `search_key`, not its id: publication day × 2³² + id.
  FTS5 walks a match list in rowid order, so "the newest N matches" is read from the index
  alone (`ORDER BY rowid DESC LIMIT N`), however many articles match — what keeps a broad
  search over a million articles fast (db/plugins/giaoban_search.py).
"""

from __future__ import annotations

from datetime import date

from aggregator.normalize import fold, normalize_text

__all__ = ["TOKENIZE", "FTS_COLUMNS", "index_columns", "normalize_query", "search_key"]

TOKENIZE = "unicode61 remove_diacritics 0"
FTS_COLUMNS = ("title", "body", "title_fold", "body_fold")


def index_columns(title: str | None, body: str | None) -> tuple[str, str, str, str]:
    """The four `articles_fts` values of one article (the writer and the migration share this)."""
    title, body = normalize_text(title), normalize_text(body)
    return title, body, fold(title), fold(body)


def normalize_query(query: str | None) -> str:
    """A search query spelled like the stored text (NFC, one tone-mark style, Đ not Ð)."""
    return normalize_text(query or "")


def search_key(article_id: int, published: str | None, first_seen: str | None = None) -> int:
    """The article's search rowid: publication day (else the day it was first seen) × 2³² + id.

    Unique (the id is in it) and in publication order, so FTS5's rowid order is newest-first
    order. Undated articles sort with the day they were archived.
    """
    day = 0
    for value in (published, first_seen):
        if value and len(value) >= 10:
            try:
                day = date.fromisoformat(value[:10]).toordinal()
                break
            except ValueError:
                continue
    return day * 2**32 + int(article_id)
