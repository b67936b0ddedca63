"""Datasette's `?_search=` reads Vietnamese the way the index was written (see db/search.py).

Datasette turns `?_search=` into `MATCH escape_fts(:search)`. This plugin re-registers
`escape_fts` on every connection — after Datasette's own (`trylast`) — as "normalise the query
like the stored text (NFC, one tone-mark style, Ð → Đ), then Datasette's escaping". The search box
keeps what the analyst typed; custom SQL that calls escape_fts() gets the same treatment.
`?_searchmode=raw` bypasses escape_fts and so this normalisation: raw FTS5 syntax is the
analyst's own.
"""

from __future__ import annotations

from datasette import hookimpl
from datasette.utils import escape_fts

from db.search import normalize_query


def vietnamese_escape_fts(query: str | None) -> str:
    return escape_fts(normalize_query(query))


@hookimpl(trylast=True)
def prepare_connection(conn):
    conn.create_function("escape_fts", 1, vietnamese_escape_fts, deterministic=True)
