"""Analyst pages beside Datasette's tables: a readable article / story page and a chart.

* ``/-/article/<id>`` and ``/-/story/<story_id>``: the text (sanitised, db/reader.py) with its
  images and captions, the facts, every portal and URL that carried the story, links to the
  originals. Served with a Content-Security-Policy that forbids all script.
* ``/-/chart``: briefings per month by province and level, an inline SVG drawn here (db/chart.py)
  from the `briefings_per_month` canned query in metadata.yaml.
* Titles in `articles`, `stories` and `meetings` (and story/article ids in canned queries) link
  to the readable pages.
"""

from __future__ import annotations

import json
import secrets

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup, escape

from db.chart import LEVELS, svg_chart
from db.reader import CSP, body_html, images_of, safe_url

_DB_NAME = "giaoban"


async def _database(datasette):
    """The archive's database: `giaoban` if served, else the first with an `articles` table."""
    names = [n for n in datasette.databases if not n.startswith("_")]
    for name in sorted(names, key=lambda n: n != _DB_NAME):
        db = datasette.get_database(name)
        if await db.table_exists("articles"):
            return db
    raise NotFound("No database with an articles table is served")


async def _allowed(datasette, request, db) -> None:
    await datasette.ensure_permissions(request.actor, [
        ("view-table", (db.name, "articles")), ("view-database", db.name), "view-instance"])


def _strict(html: str, nonce: str, status: int = 200) -> Response:
    return Response.html(html, status=status, headers={
        "Content-Security-Policy": CSP.format(nonce=nonce),
        "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
    })


def _json_list(text: str | None) -> list:
    try:
        value = json.loads(text or "[]")
    except (TypeError, ValueError):
        return []
    return value if isinstance(value, list) else []


def _facts(a: dict) -> list[tuple[str, str]]:
    level = LEVELS.get(a.get("level") or "", (a.get("level"), ""))[0] if a.get("level") else None
    chair = " — ".join(x for x in (a.get("chair"), a.get("chair_title")) if x) or None
    score = a.get("relevance_score")
    relevant = ("yes" if a.get("relevant") else "no") + (
        f" (score {score:g})" if isinstance(score, (int, float)) else "")
    facts = [
        ("Portal", a.get("source")), ("Published", a.get("published")),
        ("Author", a.get("author")), ("Giao ban / trực báo", relevant),
        ("Kind", a.get("meeting_kind")), ("Level", level), ("Locality", a.get("locality")),
        ("Province", a.get("province")), ("Chaired by", chair), ("Period", a.get("period")),
        ("Meeting date", a.get("meeting_date")),
        ("Organisations", ", ".join(map(str, _json_list(a.get("orgs")))) or None),
        ("Classifier cues", "; ".join(map(str, _json_list(a.get("relevance_reasons")))) or None),
        ("Revision", a.get("revision")), ("First seen", a.get("first_seen")),
        ("Last seen", a.get("last_seen")),
    ]
    return [(k, str(v)) for k, v in facts if v not in (None, "")]


async def _render_article(datasette, request, db, article_id: int, story_view: bool):
    row = (await db.execute(
        "SELECT a.*, s.n_articles, s.n_sources, s.article_id AS story_article_id "
        "FROM articles a LEFT JOIN stories s ON s.story_id = a.story_id WHERE a.id = ?",
        [article_id])).first()
    if row is None:
        raise NotFound(f"No article {article_id}")
    a = dict(row)
    if a.get("story_id") is not None:
        carriers = [dict(r) for r in (await db.execute(
            "SELECT a.id, a.source, a.title, a.published, a.url, src.host, src.province "
            "FROM articles a LEFT JOIN sources src ON src.name = a.source "
            "WHERE a.story_id = ? ORDER BY coalesce(a.published, '9999'), a.id",
            [a["story_id"]])).rows]
    else:
        carriers = [{k: a.get(k) for k in ("id", "source", "title", "published", "url")}]
    ids = [c["id"] for c in carriers]
    urls: dict[int, list[dict]] = {i: [] for i in ids}
    for r in (await db.execute(
            f"SELECT article_id, url, kind FROM article_urls WHERE article_id IN "
            f"({','.join('?' * len(ids))}) ORDER BY kind, url", ids)).rows:
        urls[r["article_id"]].append({"url": r["url"], "href": safe_url(r["url"]),
                                      "kind": r["kind"]})
    for c in carriers:
        c["href"] = safe_url(c["url"])
        c["page"] = datasette.urls.path(f"/-/article/{c['id']}")
        c["urls"] = [u for u in urls[c["id"]] if u["url"] != c["url"]]
    nonce = secrets.token_urlsafe(16)
    html = await datasette.render_template("giaoban_article.html", {
        "article": a, "story_view": story_view, "nonce": nonce,
        "body": Markup(body_html(a.get("body"), images_of(a.get("images")))),
        "facts": _facts(a), "carriers": carriers, "original": safe_url(a.get("url")),
        "database": db.name,
        "row_url": datasette.urls.row(db.name, "articles", str(a["id"])),
        "story_url": (datasette.urls.row(db.name, "stories", str(a["story_id"]))
                      if a.get("story_id") is not None else None),
    }, request=request)
    return _strict(html, nonce)


async def article_page(datasette, request):
    db = await _database(datasette)
    await _allowed(datasette, request, db)
    return await _render_article(datasette, request, db, int(request.url_vars["id"]), False)


async def story_page(datasette, request):
    db = await _database(datasette)
    await _allowed(datasette, request, db)
    story_id = int(request.url_vars["story_id"])
    row = (await db.execute("SELECT article_id FROM stories WHERE story_id = ?",
                            [story_id])).first()
    if row is None or row[0] is None:
        raise NotFound(f"No story {story_id}")
    return await _render_article(datasette, request, db, row[0], True)


async def chart_page(datasette, request):
    db = await _database(datasette)
    await _allowed(datasette, request, db)
    query = await datasette.get_canned_query(db.name, "briefings_per_month", request.actor)
    if not query:
        raise NotFound("The briefings_per_month canned query is not configured")
    province = request.args.get("province", "")
    level = request.args.get("level", "")
    rows = [tuple(r) for r in (await db.execute(
        query["sql"], {"province": province, "level": level})).rows]
    choices = (await db.execute(
        "SELECT DISTINCT province FROM meetings WHERE province IS NOT NULL ORDER BY 1")).rows
    nonce = secrets.token_urlsafe(16)
    html = await datasette.render_template("giaoban_chart.html", {
        "svg": Markup(svg_chart(rows)), "rows": rows, "nonce": nonce, "database": db.name,
        "province": province, "level": level, "provinces": [r[0] for r in choices],
        "levels": [(k, v[0]) for k, v in LEVELS.items() if k],
        "total": sum(r[3] for r in rows),
        "query_url": datasette.urls.database(db.name) + "/briefings_per_month",
    }, request=request)
    return _strict(html, nonce)


# Datasette lists column descriptions one per line above the table; with ~40 columns that
# pushes the rows off screen, so they become a compact scrolling two-column box.
_CSS = """
dl.column-descriptions { display: grid; grid-template-columns: max-content 1fr; gap: 0 1em;
  max-height: 9.5em; overflow-y: auto; font-size: 0.85rem; border: 1px solid #ddd;
  padding: 0.3em 0.6em; }
dl.column-descriptions dt, dl.column-descriptions dd { margin: 0; }
"""


async def css(datasette, request):
    return Response(_CSS, content_type="text/css; charset=utf-8",
                    headers={"Cache-Control": "max-age=3600"})


@hookimpl
def extra_css_urls(datasette):
    return [datasette.urls.path("/-/giaoban.css")]


@hookimpl
def register_routes():
    return [
        (r"^/-/article/(?P<id>\d+)$", article_page),
        (r"^/-/story/(?P<story_id>\d+)$", story_page),
        (r"^/-/chart$", chart_page),
        (r"^/-/giaoban\.css$", css),
    ]


def _link(datasette, path: str, label) -> Markup:
    return Markup(f'<a href="{escape(datasette.urls.path(path))}">{escape(label)}</a>')


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    """Titles link to the readable page; so do story / article ids in canned queries."""
    if value is None or value == "":
        return None
    try:
        if column == "title" and table == "articles":
            return _link(datasette, f"/-/article/{row['id']}", value)
        if column == "title" and table == "meetings":
            return _link(datasette, f"/-/article/{row['article_id']}", value)
        if column == "title" and table == "stories":
            return _link(datasette, f"/-/story/{row['story_id']}", value)
        if table in (None, "meetings") and column in ("story_id", "article_id"):
            kind = "story" if column == "story_id" else "article"
            return _link(datasette, f"/-/{kind}/{int(value)}", value)
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    return None
