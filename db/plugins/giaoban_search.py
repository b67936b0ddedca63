"""Datasette's `?_search=` for Vietnamese, bounded in cost on a million-article archive.

Two parts, both through Datasette's own plugin hooks (see db/search.py for the index):

* `escape_fts` is re-registered on every connection — after Datasette's own (`trylast`) — as
  "normalise the query like the stored text (NFC, one tone-mark style, Ð → Đ), then Datasette's
  escaping". The search box keeps what the analyst typed; custom SQL that calls escape_fts()
  gets the same treatment. `?_searchmode=raw` bypasses it: raw FTS5 syntax is the analyst's own.

* `?_search=` (and `?_search_<column>=`) on a table configured under `plugins: giaoban-search`
  in metadata.yaml is turned into the table's WHERE clause here, the way Datasette's built-in
  search filter does it, with one difference. Datasette counts, sorts and facets every match,
  and each match costs a row lookup (about 1 µs): a word found in 400 000 articles takes
  seconds. So the total is counted in the FTS index alone (no row lookups), and when it is
  larger than `newest` (1 000) and the search is the only filter, the page works on the newest
  `newest` matches — read from the index in rowid order, because a search row's rowid is the
  article's `search_key` (publication day × 2³² + id). The page says so: 'search matches "x":
  429,955 articles, the newest 1,000 listed'. Adding any column filter (a facet click), or
  `_search_all=1`, searches every match exactly, at the cost of one lookup per match.
"""

from __future__ import annotations

import os

from datasette import hookimpl
from datasette.filters import FilterArguments
from datasette.utils import escape_fts, escape_sqlite
from datasette.utils.asgi import BadRequest

from db.search import FTS_COLUMNS, normalize_query

PLUGIN = "giaoban-search"
NEWEST = 1000  # default size of the newest-matches window


def vietnamese_escape_fts(query: str | None) -> str:
    return escape_fts(normalize_query(query))


@hookimpl(trylast=True)
def prepare_connection(conn):
    conn.create_function("escape_fts", 1, vietnamese_escape_fts, deterministic=True)


def _narrowed(args) -> bool:
    """Column filters (`?province=…`, `?level__in=…`) or `_where`: the window would be wrong."""
    return any(not key.startswith("_") or "__" in key or key == "_where" for key in args)


@hookimpl(trylast=True)
def filters_from_request(request, database, table, datasette):
    config = datasette.plugin_config(PLUGIN, database=database, table=table)
    if not config:
        return None

    async def inner() -> FilterArguments:
        fts, pk = escape_sqlite(config["fts_table"]), escape_sqlite(config["fts_pk"])
        newest = int(os.environ.get("GIAOBAN_SEARCH_NEWEST") or config.get("newest", NEWEST))
        raw = request.args.get("_searchmode", config.get("searchmode")) == "raw"
        match = ":search" if raw else "escape_fts(:search)"
        where, params, described = [], {}, []
        context = {"supports_search": True}
        search = request.args.get("_search", "")
        if search.strip():
            params["search"] = context["search"] = search
            db = datasette.get_database(database)
            total = (await db.execute(f"select count(*) from {fts} where {fts} match {match}",
                                      params)).first()[0]
            context["search_total"] = total
            if total > newest and not _narrowed(request.args) \
                    and not request.args.get("_search_all"):
                where.append(f"{pk} in (select rowid from {fts} where {fts} match {match} "
                             f"order by rowid desc limit {newest})")
                described.append(f'search matches "{search}": {total:,} articles, the newest '
                                 f'{newest:,} listed (add a filter or _search_all=1 for all)')
            else:
                where.append(f"{pk} in (select rowid from {fts} where {fts} match {match})")
                described.append(f'search matches "{search}"')
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
        return FilterArguments(where, params, described, context)

    return inner
