"""Live RSS 2.0 and Atom feeds next to Datasette, at /-/feeds/ (what they hold: aggregator/feeds).

    /-/feeds/all.rss | all.atom                       relevant stories, newest first
    /-/feeds/source/<name>.rss | .atom                a portal (sources.name)
    /-/feeds/province/<slug>.rss | .atom              'quang-ngai' (the folded province name)
    /-/feeds/kind/<slug>.rss | .atom                  'giao-ban', 'truc-bao'
    /-/feeds/search.rss | .atom ?q=…[&relevant=1]     Datasette's diacritic-folding search

Every feed takes `?limit=N` (default 50, at most 500). Responses carry a strong ETag (hash of
the bytes) and Last-Modified (when this server first served those bytes), answer 304 to
If-None-Match / If-Modified-Since, and set Cache-Control max-age and RSS <ttl> to the crawl
interval. Setting (metadata.yaml `plugins: giaoban-feeds: {ttl_minutes: N}`, else the
environment variable GIAOBAN_FEED_TTL_MINUTES, else 360). Reads go through Datasette's
read-only connections (`mode=ro`); `extra_template_vars` gives every page its feed links
(rendered by templates/_feed_links.html).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections import OrderedDict
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import unquote

from datasette import hookimpl
from datasette.utils.asgi import Response

from aggregator import feeds

PLUGIN = "giaoban-feeds"
MAX_LIMIT = 500
_FIRST_SERVED: OrderedDict[str, tuple[str, datetime]] = OrderedDict()  # url → (etag, since)
_FIRST_SERVED_MAX = 2048


def ttl_minutes(datasette) -> int:
    config = datasette.plugin_config(PLUGIN) or {}
    value = config.get("ttl_minutes") or os.environ.get("GIAOBAN_FEED_TTL_MINUTES")
    try:
        return max(1, int(value)) if value else feeds.DEFAULT_TTL_MINUTES
    except ValueError:
        return feeds.DEFAULT_TTL_MINUTES


def _database(datasette):
    return datasette.get_database((datasette.plugin_config(PLUGIN) or {}).get("database"))


def _limit(request, datasette) -> int:
    default = int((datasette.plugin_config(PLUGIN) or {}).get("limit") or feeds.DEFAULT_LIMIT)
    try:
        return max(1, min(MAX_LIMIT, int(request.args.get("limit") or default)))
    except ValueError:
        return default


def _last_modified(key: str, etag: str) -> datetime:
    """When this process first served these exact bytes at this URL: a 304 on
    If-Modified-Since is then never wrong, even after a dedup merge that changes no timestamp."""
    seen = _FIRST_SERVED.get(key)
    if seen is None or seen[0] != etag:
        seen = (etag, datetime.now(timezone.utc).replace(microsecond=0))
        _FIRST_SERVED[key] = seen
    _FIRST_SERVED.move_to_end(key)
    while len(_FIRST_SERVED) > _FIRST_SERVED_MAX:
        _FIRST_SERVED.popitem(last=False)
    return seen[1]


def _not_modified(request, etag: str, last_modified: datetime) -> bool:
    inm = request.headers.get("if-none-match")
    if inm is not None:  # RFC 9110 13.1.3: If-None-Match wins over If-Modified-Since
        tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
        return "*" in tags or etag in tags
    ims = request.headers.get("if-modified-since")
    if ims:
        try:
            return last_modified <= parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
    return False


async def feed_view(datasette, request):
    fmt = request.url_vars["fmt"]
    kind = request.url_vars.get("kind") or request.url_vars.get("name")
    db = _database(datasette)
    limit = _limit(request, datasette)
    if kind == "all":
        spec = feeds.FeedSpec("all", limit=limit)
    elif kind == "search":
        q = (request.args.get("q") or "").strip()
        if not q:
            return Response.text("a search feed needs ?q=words", status=400)
        spec = feeds.FeedSpec("search", q, relevant_only=request.args.get("relevant") == "1",
                              limit=limit)
    else:
        slug = unquote(request.url_vars["value"])  # Datasette routes match the raw path
        value = await db.execute_fn(lambda conn: feeds.resolve(conn, kind, slug))
        if value is None:
            return Response.text(f"no {kind} feed named {slug!r}", status=404)
        spec = feeds.FeedSpec(kind, value, limit=limit)
    try:
        stories = await db.execute_fn(lambda conn: feeds.fetch_stories(conn, spec))
    except sqlite3.OperationalError as exc:  # an FTS expression SQLite refuses
        return Response.text(f"cannot search for {spec.value!r}: {exc}", status=400)
    ttl = ttl_minutes(datasette)
    body = feeds.render(
        spec, stories, fmt, ttl_minutes=ttl, database=db.name,
        feeds_root=datasette.absolute_url(request, datasette.urls.path("/-/feeds")),
        site_url=datasette.absolute_url(request, datasette.urls.path("/")))
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    key = request.path + "?" + (request.query_string or "")
    since = _last_modified(key, etag)
    headers = {"ETag": etag, "Last-Modified": format_datetime(since, usegmt=True),
               "Cache-Control": f"public, max-age={ttl * 60}",
               "Access-Control-Allow-Origin": "*"}
    if _not_modified(request, etag, since):
        return Response(b"", status=304, headers=headers, content_type=feeds.CONTENT_TYPES[fmt])
    return Response(body, status=200, headers=headers, content_type=feeds.CONTENT_TYPES[fmt])


@hookimpl
def register_routes(datasette):
    return [
        (r"^/-/feeds/(?P<name>all|search)\.(?P<fmt>rss|atom)$", feed_view),
        (r"^/-/feeds/(?P<kind>source|province|kind)/(?P<value>[^/]+)\.(?P<fmt>rss|atom)$",
         feed_view),
    ]


_FILTER_FEEDS = {"source": "source", "province": "province", "meeting_kind": "kind",
                 "kind": "kind"}


@hookimpl
def extra_template_vars(datasette, request, table):
    """Feed links for <link rel="alternate">: the global feeds on every page, plus the feed of
    the source / province / kind / search a table page is filtered by."""
    def link(path: str, fmt: str, title: str) -> dict:
        return {"href": datasette.urls.path(path), "title": title,
                "type": feeds.CONTENT_TYPES[fmt].split(";")[0]}

    links = [link("/-/feeds/all.rss", "rss", "giaoban: giao ban, trực báo (RSS)"),
             link("/-/feeds/all.atom", "atom", "giaoban: giao ban, trực báo (Atom)")]
    if request is not None and table in ("articles", "meetings", "stories"):
        for column, kind in _FILTER_FEEDS.items():
            value = request.args.get(column) or request.args.get(f"{column}__exact")
            if value:
                slug = feeds.slugify(value)
                links.append(link(f"/-/feeds/{kind}/{slug}.rss", "rss", f"giaoban: {value}"))
                links.append(link(f"/-/feeds/{kind}/{slug}.atom", "atom", f"giaoban: {value}"))
        q = request.args.get("_search")
        if q:
            spec = feeds.FeedSpec("search", q)
            for fmt in ("rss", "atom"):
                links.append({**link(f"/-/feeds/search.{fmt}", fmt, f"giaoban: tìm “{q}”"),
                              "href": spec.url(datasette.urls.path("/-/feeds"), fmt)})
    return {"giaoban_feed_links": links}
