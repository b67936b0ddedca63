"""Datasette's `?_search=` for Vietnamese, bounded in cost on a million-article archive.

Two parts, both through Datasette's own plugin hooks (see db/search.py for the index):

* `escape_fts` is re-registered on every connection — after Datasette's own (`trylast`) — as
  "normalise the query like the stored text (NFC, one tone-mark style, Ð → Đ), then Datasette's
  escaping". The search box keeps what the analyst typed; custom SQL that calls escape_fts()
  gets the same treatment. `?_searchmode=raw` bypasses it: raw FTS5 syntax is the analyst's own.

* `?_search=` (and `?_search_<column>=`) on a table configured under `plugins: giaoban-search`
  in metadata.yaml is turned into the table's WHERE clause here, as Datasette's built-in search
  filter does, but bounded. Datasette counts, sorts and facets every match in ~10 statements,
  each re-running the FTS query and looking up every matching row (about 1 µs a match): a word
  found in 400 000 articles took seconds. Here one FTS query first reads the newest `newest`
  + 1 matching keys, applying the page's column filters (a facet click) with one index lookup
  each — cheap whatever the total, because a search row's rowid is the article's `search_key`
  (publication day × 2³² + id), so FTS5's rowid order is newest first.
  - At most `newest` (500) matches: the page's statements look those keys up (`json_each`)
    instead of each re-running the FTS query: exact.
  - More: the page works on the newest `newest` keys and says so — 'search matches "x":
    81,733 articles, the newest 500 listed'. The total is counted within `total_ms` (25 ms;
    0 = never); a count that takes longer says "more than 500".
  - `_search_all=1`, a full CSV export (`_stream=1`), `_where=` or `_through=`: every match,
    exactly, at one row lookup per match (Datasette's way).
"""

from __future__ import annotations

import json
import os
import sqlite3

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.filters import FilterArguments, Filters
from datasette.utils import escape_fts, escape_sqlite
from datasette.utils.asgi import BadRequest

from db.search import FTS_COLUMNS, normalize_query

PLUGIN = "giaoban-search"
NEWEST = 500  # default size of the newest-matches window
TOTAL_MS = 25  # time allowed for counting every match of a windowed search


def vietnamese_escape_fts(query: str | None) -> str:
    return escape_fts(normalize_query(query))


@hookimpl(trylast=True)
def prepare_connection(conn):
    conn.create_function("escape_fts", 1, vietnamese_escape_fts, deterministic=True)


async def _total(db, sql: str, params: dict, limit_ms: int) -> int | None:
    """Every match, counted within limit_ms (0: not counted), else None (the count grows with
    the matches: ~50 ms for 400 000 in the FTS index of a million articles)."""
    if limit_ms <= 0:
        return None
    try:
        result = await db.execute(sql, params, custom_time_limit=limit_ms)
    except QueryInterrupted:
        return None
    return result.first()[0]


@hookimpl(trylast=True)
def filters_from_request(request, database, table, datasette):
    config = datasette.plugin_config(PLUGIN, database=database, table=table)
    if not config:
        return None

    async def inner() -> FilterArguments:
        fts, pk = escape_sqlite(config["fts_table"]), escape_sqlite(config["fts_pk"])
        raw = request.args.get("_searchmode", config.get("searchmode")) == "raw"
        where, params, described = [], {}, []
        context = {"supports_search": True}
        search = request.args.get("_search", "")
        if search.strip():
            params["search"] = context["search"] = search
            match = ":search" if raw else "escape_fts(:search)"
            clause, description, total = await _search(
                datasette.get_database(database), request, config, table, fts, pk, match,
                params)
            where.append(clause)
            described.append(f'search matches "{search}"{description}')
            context["search_total"] = total
        _column_searches(request, where, params, described, raw, fts, pk)
        return FilterArguments(where, params, described, context)

    return inner


async def _search(db, request, config, table, fts, pk, match, params
                  ) -> tuple[str, str, int | None]:
    """(WHERE clause, what to add to the description, total or None) of `?_search=`."""
    every = f"{pk} in (select rowid from {fts} where {fts} match {match})"
    # every match: asked for, a full CSV export, or filters this plugin does not build
    if request.args.get("_search_all") or request.args.get("_stream") \
            or "_where" in request.args or "_through" in request.args:
        return every, "", None
    newest = int(os.environ.get("GIAOBAN_SEARCH_NEWEST") or config.get("newest", NEWEST))
    # the newest `newest` + 1 matching keys that pass the column filters, in FTS rowid order
    # (newest first) with one index lookup each: stops early however many match
    filter_args = [(k, v) for k in request.args if not (k.startswith("_") and "__" not in k)
                   for v in request.args.getlist(k)]
    clauses, fparams = Filters(sorted(filter_args)).build_where_clauses(table)
    joined = (f"from (select rowid as k from {fts} where {fts} match {match}) f "
              f"cross join {escape_sqlite(table)} a on a.{pk} = f.k"
              + (" where " + " and ".join(clauses) if clauses else ""))
    try:
        keys = [r[0] for r in await db.execute(
            f"select a.{pk} {joined} order by f.k desc limit {newest + 1}",
            {**fparams, **params})]
    except sqlite3.Error:  # a bad filter or query: Datasette's own statements report it
        return every, "", None
    # the page's ~10 statements look these keys up instead of each re-running the FTS query
    # (common syllables make that slow): every match, or the newest `newest`
    params["search_keys"] = json.dumps(keys[:newest])
    clause = f"{pk} in (select value from json_each(:search_keys))"
    if len(keys) <= newest:
        return clause, "", len(keys)
    limit_ms = int(os.environ.get("GIAOBAN_SEARCH_TOTAL_MS") or config.get("total_ms", TOTAL_MS))
    count = f"select count(*) {joined}" if clauses else \
        f"select count(*) from {fts} where {fts} match {match}"
    total = await _total(db, count, {**fparams, **params}, limit_ms)
    counted = f"{total:,} articles" if total is not None else f"more than {newest:,} articles"
    return clause, f": {counted}, the newest {newest:,} listed (_search_all=1 for every match)", \
        total


def _column_searches(request, where, params, described, raw, fts, pk) -> None:
    """`?_search_<column>=`: a search in one FTS column, as Datasette's own filter does it."""
    for i, key in enumerate(sorted(request.args)):
        if not key.startswith("_search_") or key == "_search_all":
            continue
        column = key[len("_search_"):]
        if column not in FTS_COLUMNS:
            raise BadRequest("Cannot search by that column")
        name = f"search_{i}"
        params[name] = request.args[key]
        where.append(f"{pk} in (select rowid from {fts} where {escape_sqlite(column)} "
                     f"match {':' + name if raw else f'escape_fts(:{name})'})")
        described.append(f'search column "{column}" matches "{request.args[key]}"')
