"""RSS 2.0 and Atom 1.0 feeds of stories: one item per story, whatever number of portals carried it.

Feed readers identify items by GUID, so the GUID is a tag URI built from `story_id` alone
(`tag:giaoban.archive,2026:story/<story_id>`, `isPermaLink="false"`): it survives http → https,
new URL slugs and re-crawls, and a dedup merge keeps the older story_id. Never derive it from a
URL and never change `TAG_AUTHORITY`, or every subscriber sees every item again.

What a feed carries (the archive is about briefings):
* ``all``, ``source/<name>``, ``province/<slug>``, ``kind/<slug>``: relevant stories only
  (`stories.relevant = 1`); a story belongs to a source / province / kind feed when any of its
  copies does, and its categories list every province, level and kind of its copies.
* ``search?q=``: every story with a copy that Datasette's `?_search=` finds (relevant or not:
  the query is the filter), by the same FTS expression (`fts_match`).
Each item is the representative copy (`stories.article_id`): its title, its URL as link, its
publication date at +07:00 (date-only pages at 00:00; undated ones at first crawl), and a
sanitised HTML summary: the first paragraphs, then "Cũng đăng trên:" with the other portals' copies.

This module only reads: `open_ro` opens SQLite with `mode=ro`; `db/store.py` is the one writer.
The same functions build the files of `giaoban feed` and the live routes of `db/plugins/feeds.py`.
"""

from __future__ import annotations

import html
import os
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterable
from urllib.parse import quote, urlencode

import nh3
from feedgen.feed import FeedGenerator
from lxml.html import defs as html_defs

from aggregator.normalize import fold, normalize_text

__all__ = [
    "TAG_AUTHORITY", "DEFAULT_LIMIT", "DEFAULT_TTL_MINUTES", "FEED_KINDS", "CONTENT_TYPES",
    "FeedSpec", "Story", "open_ro", "story_guid", "slugify", "fts_match", "resolve",
    "list_feeds", "fetch_stories", "render", "build", "write_feeds",
]

TAG_AUTHORITY = "giaoban.archive,2026"  # part of every GUID: never change it
DEFAULT_LIMIT = 50
DEFAULT_TTL_MINUTES = 360  # the crawl schedule: every 6 hours
FEED_KINDS = ("source", "province", "kind")
CONTENT_TYPES = {"rss": "application/rss+xml; charset=utf-8",
                 "atom": "application/atom+xml; charset=utf-8"}
VN = timezone(timedelta(hours=7))
_EPOCH = datetime(1970, 1, 1, tzinfo=VN)  # `updated` of a feed with no item yet (stable)
SUMMARY_CHARS = 600
SUMMARY_TAGS = {"p", "a", "ul", "li", "br", "strong", "em"}
LEVEL_LABELS = {"tinh": "tỉnh", "thanh_pho": "thành phố", "thi_xa": "thị xã",
                "huyen": "huyện", "quan": "quận", "xa": "xã", "phuong": "phường"}
KNOWN_KINDS = ("giao ban", "trực báo")


@dataclass(frozen=True)
class FeedSpec:
    """Which stories a feed holds: kind 'all' | 'source' | 'province' | 'kind' | 'search'."""
    kind: str = "all"
    value: str | None = None  # source name, province, meeting kind or search query
    relevant_only: bool = True
    limit: int = DEFAULT_LIMIT

    @property
    def path(self) -> str:
        """Path of the feed below the feeds root, without extension ('province/quang-ngai')."""
        if self.kind == "all":
            return "all"
        if self.kind == "search":
            return "search"
        return f"{self.kind}/{slugify(self.value or '')}"

    def url(self, feeds_root: str, fmt: str) -> str:
        url = f"{feeds_root.rstrip('/')}/{quote(self.path)}.{fmt}"
        if self.kind == "search":
            url += "?" + urlencode({"q": self.value or ""})
        return url

    @property
    def label(self) -> str:
        if self.kind == "all":
            return "giao ban, trực báo - mọi cổng thông tin"
        if self.kind == "search":
            return f"tìm “{self.value}”"
        return {"source": "cổng", "province": "tỉnh", "kind": "loại"}[self.kind] + \
            f" {self.value}"


@dataclass
class Story:
    story_id: int
    title: str
    url: str
    source: str
    date: datetime
    updated: datetime
    body: str
    others: list[tuple[str, str]] = field(default_factory=list)  # (source, url) of other portals
    provinces: list[str] = field(default_factory=list)
    levels: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)

    @property
    def guid(self) -> str:
        return story_guid(self.story_id)


def story_guid(story_id: int) -> str:
    return f"tag:{TAG_AUTHORITY}:story/{int(story_id)}"


def open_ro(path: str | Path) -> sqlite3.Connection:
    """A read-only connection: the feeds never write, and cannot by mistake."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no database at {path}")
    conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    conn.execute("PRAGMA busy_timeout = 10000")
    return conn


def slugify(text: str) -> str:
    """'Quảng Ngãi' → 'quang-ngai', 'trực báo' → 'truc-bao': file and URL names of feeds."""
    return re.sub(r"[^a-z0-9_]+", "-", fold(text)).strip("-") or "-"


def parse_date(value: str | None) -> datetime | None:
    """Stored dates ('YYYY-MM-DD', ISO with offset, or naive) as an aware datetime at +07:00."""
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=VN)
    return dt.astimezone(VN)


# -- search: the expression Datasette's ?_search= runs ---------------------------------------------
SEARCH_WINDOW = 1000  # newest matching articles a search feed's stories are drawn from


def fts_match(query: str) -> str | None:
    """FTS5 expression of `?_search=`: the query spelled like the stored text (NFC, one tone-mark
    style: `normalize_text`, as db/plugins/giaoban_search.py does) and quoted by Datasette's own
    `escape_fts`, over every column: unaccented words meet the folded columns (đ → d), accented
    ones the original text. None for an empty query."""
    from datasette.utils import escape_fts

    expression = escape_fts(normalize_text(query or "").strip())
    return expression or None


# -- reading --------------------------------------------------------------------------------------
def _rows(conn: sqlite3.Connection, sql: str, params: Iterable = ()) -> list[sqlite3.Row]:
    cur = conn.cursor()
    cur.row_factory = sqlite3.Row  # per cursor: Datasette's shared connection stays untouched
    return cur.execute(sql, list(params)).fetchall()


def list_feeds(conn: sqlite3.Connection) -> list[FeedSpec]:
    """Every feed `giaoban feed` writes: all, each source, each province, each meeting kind."""
    sources = [r[0] for r in _rows(conn, "SELECT name FROM sources UNION "
                                         "SELECT DISTINCT source FROM articles") if r[0]]
    provinces = [r[0] for r in _rows(conn, "SELECT province FROM sources UNION "
                                           "SELECT DISTINCT province FROM articles") if r[0]]
    kinds = set(KNOWN_KINDS) | {r[0] for r in _rows(
        conn, "SELECT DISTINCT meeting_kind FROM articles") if r[0]}
    specs = [FeedSpec("all")]
    specs += [FeedSpec("source", s) for s in sorted(set(sources))]
    specs += [FeedSpec("province", p) for p in sorted(set(provinces))]
    specs += [FeedSpec("kind", k) for k in sorted(kinds)]
    return specs


def resolve(conn: sqlite3.Connection, kind: str, slug: str) -> str | None:
    """The stored value whose slug (or which itself) is `slug`, e.g. 'quang-ngai' → 'Quảng Ngãi'."""
    for spec in list_feeds(conn):
        if spec.kind == kind and (spec.value == slug or slugify(spec.value or "") == slug):
            return spec.value
    return None


_FILTERS = {"source": "c.source = ?", "province": "c.province = ?", "kind": "c.meeting_kind = ?"}


def fetch_stories(conn: sqlite3.Connection, spec: FeedSpec) -> list[Story]:
    """The newest `spec.limit` stories of a feed, newest first, with their copies."""
    where, params = [], []
    if spec.relevant_only:
        where.append("s.relevant = 1")
    if spec.kind in _FILTERS:
        where.append("EXISTS (SELECT 1 FROM articles c WHERE c.story_id = s.story_id AND "
                     f"{_FILTERS[spec.kind]})")
        params.append(spec.value)
    elif spec.kind == "search":
        match = fts_match(spec.value or "")
        if match is None:
            return []
        # the newest matching copies only (FTS rowid = search_key: newest first): a story's
        # date is its earliest copy's, so the newest `limit` stories are among the stories of
        # the newest 20 × limit matches, however many articles match
        where.append("s.story_id IN (SELECT c.story_id FROM articles c WHERE c.search_key IN "
                     "(SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? "
                     "ORDER BY rowid DESC LIMIT ?))")
        params += [match, max(SEARCH_WINDOW, 20 * max(0, int(spec.limit)))]
    elif spec.kind != "all":
        raise ValueError(f"unknown feed kind {spec.kind!r}")
    sql = ("SELECT s.story_id, a.id, a.title, a.url, a.source, a.published, a.first_seen, "
           "a.body FROM stories s JOIN articles a ON a.id = s.article_id"
           + (" WHERE " + " AND ".join(where) if where else "")
           + " ORDER BY coalesce(a.published, a.first_seen) DESC, s.story_id DESC LIMIT ?")
    reps = _rows(conn, sql, [*params, max(0, int(spec.limit))])
    if not reps:
        return []
    ids = [r["story_id"] for r in reps]
    copies: dict[int, list[sqlite3.Row]] = {i: [] for i in ids}
    marks = ",".join("?" * len(ids))
    for c in _rows(conn, "SELECT id, story_id, source, url, province, level, meeting_kind, "
                         f"updated FROM articles WHERE story_id IN ({marks}) "
                         "ORDER BY coalesce(published, '9999'), id", ids):
        copies[c["story_id"]].append(c)
    stories = []
    for r in reps:
        date = parse_date(r["published"]) or parse_date(r["first_seen"]) or _EPOCH
        cs = copies[r["story_id"]]
        others, seen = [], {r["source"]}
        for c in cs:  # one link per other portal, its earliest copy
            if c["id"] != r["id"] and c["source"] not in seen and c["url"]:
                seen.add(c["source"])
                others.append((c["source"], c["url"]))
        updated = max([date] + [d for d in (parse_date(c["updated"]) for c in cs) if d])
        stories.append(Story(
            story_id=r["story_id"], title=r["title"] or "(không có tiêu đề)", url=r["url"],
            source=r["source"], date=date, updated=updated, body=r["body"] or "",
            others=others, provinces=_distinct(c["province"] for c in cs),
            levels=_distinct(c["level"] for c in cs),
            kinds=_distinct(c["meeting_kind"] for c in cs)))
    return stories


def _distinct(values: Iterable[str | None]) -> list[str]:
    out: list[str] = []
    for v in values:
        if v and v not in out:
            out.append(v)
    return out


# -- the summary ----------------------------------------------------------------------------------
_HTML_TAG_NAMES = "|".join(sorted(html_defs.tags, key=len, reverse=True))
_LEAKED_BLOCK = re.compile(r"<(script|style|iframe|object|template|noscript)\b[^>]*>.*?"
                           r"(</\1\s*>|$)", re.I | re.S)
_LEAKED_TAG = re.compile(rf"</?(?:{_HTML_TAG_NAMES})(?=[\s/>])[^<>]*>", re.I)


def _strip_leaked_markup(text: str) -> str:
    """Bodies are plain text; an HTML element in one is extraction leakage, not words. Only real
    HTML tag names are removed: '<quý I>' or 'a < b' stay as written (and are escaped later)."""
    return _LEAKED_TAG.sub("", _LEAKED_BLOCK.sub("", text))


def _lede(body: str, limit: int = SUMMARY_CHARS) -> list[str]:
    paras = [" ".join(p.split()) for p in re.split(r"\n\s*\n", _strip_leaked_markup(body))]
    out, size = [], 0
    for p in filter(None, paras):
        if size and size + len(p) > limit:
            break
        if len(p) > limit:
            cut = p[:limit].rsplit(" ", 1)[0]
            p = cut + " …"
        out.append(p)
        size += len(p)
        if size >= limit // 2:
            break
    return out


def summary_html(story: Story) -> str:
    """First paragraphs + "Cũng đăng trên:" the other portals' copies, passed through nh3 with
    a small tag set (p, a, ul, li, br, strong, em; http(s) links only)."""
    parts = [f"<p>{html.escape(p, quote=False)}</p>" for p in _lede(story.body)]
    if story.others:
        links = "".join(f'<li><a href="{html.escape(url)}">{html.escape(source)}</a></li>'
                        for source, url in story.others if url.startswith(("http:", "https:")))
        parts.append(f"<p>Cũng đăng trên:</p><ul>{links}</ul>")
    return nh3.clean("".join(parts), tags=SUMMARY_TAGS, attributes={"a": {"href"}},
                     url_schemes={"http", "https"}, link_rel="noopener noreferrer")


def _categories(story: Story) -> list[dict]:
    cats = [{"term": slugify(p), "label": p, "scheme": f"tag:{TAG_AUTHORITY}:province"}
            for p in story.provinces]
    cats += [{"term": lv, "label": LEVEL_LABELS.get(lv, lv), "scheme": f"tag:{TAG_AUTHORITY}:level"}
             for lv in story.levels]
    cats += [{"term": slugify(k), "label": k, "scheme": f"tag:{TAG_AUTHORITY}:kind"}
             for k in story.kinds]
    return cats


# -- rendering ------------------------------------------------------------------------------------
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _x(text: str) -> str:
    """XML 1.0 cannot carry control characters; lxml would refuse the whole feed."""
    return _XML_ILLEGAL.sub("", text)


def render(spec: FeedSpec, stories: list[Story], fmt: str, *, feeds_root: str,
           site_url: str, database: str = "giaoban",
           ttl_minutes: int = DEFAULT_TTL_MINUTES) -> bytes:
    """The feed document (UTF-8 bytes). Deterministic: the same stories give the same bytes."""
    if fmt not in CONTENT_TYPES:
        raise ValueError(f"unknown feed format {fmt!r}")
    fg = FeedGenerator()
    fg.id(f"tag:{TAG_AUTHORITY}:feed/{spec.path}"
          + (f"?q={quote(spec.value or '')}" if spec.kind == "search" else ""))
    fg.title(_x(f"giaoban: {spec.label}"))
    fg.description(_x(f"Tin giao ban, trực báo của Thường trực cấp ủy với MTTQ và các đoàn thể "
                      f"({spec.label}); mỗi tin một lần dù nhiều cổng đăng lại."))
    # feedgen gives RSS's <link> the last link set: self first, then the Datasette page
    fg.link(href=spec.url(feeds_root, fmt), rel="self", type=CONTENT_TYPES[fmt].split(";")[0])
    fg.link(href=_page_url(spec, site_url, database), rel="alternate", type="text/html")
    fg.language("vi")
    fg.author({"name": "giaoban"})
    fg.generator("giaoban (python-feedgen)")
    fg.ttl(int(ttl_minutes))
    last = max([s.updated for s in stories], default=_EPOCH)
    fg.updated(last)
    fg.lastBuildDate(last)
    for s in stories:
        fe = fg.add_entry(order="append")
        fe.guid(s.guid, permalink=False)  # also the Atom <id>
        fe.title(_x(s.title))
        fe.link(href=s.url, rel="alternate", type="text/html")
        fe.published(s.date)
        fe.updated(s.date)
        fe.summary(_x(summary_html(s)), type="html")
        cats = _categories(s)
        if cats:
            fe.category(cats)
    if fmt == "rss":
        return fg.rss_str(pretty=True, encoding="UTF-8")
    return fg.atom_str(pretty=True, encoding="UTF-8")


def _page_url(spec: FeedSpec, site_url: str, database: str) -> str:
    """The Datasette page that shows the same stories (the feed's alternate link)."""
    base = f"{site_url.rstrip('/')}/{quote(database)}/articles"
    args: dict[str, str] = {}
    if spec.relevant_only:
        args["relevant"] = "1"
    if spec.kind == "source":
        args["source"] = spec.value or ""
    elif spec.kind == "province":
        args["province"] = spec.value or ""
    elif spec.kind == "kind":
        args["meeting_kind"] = spec.value or ""
    elif spec.kind == "search":
        args["_search"] = spec.value or ""
    return base + ("?" + urlencode(args) if args else "")


def build(conn: sqlite3.Connection, spec: FeedSpec, fmt: str, *, site_url: str,
          feeds_root: str | None = None, database: str = "giaoban",
          ttl_minutes: int = DEFAULT_TTL_MINUTES) -> bytes:
    return render(spec, fetch_stories(conn, spec), fmt,
                  feeds_root=feeds_root or site_url.rstrip("/") + "/-/feeds",
                  site_url=site_url, database=database, ttl_minutes=ttl_minutes)


def write_feeds(db_path: str | Path, out_dir: str | Path, *, limit: int = DEFAULT_LIMIT,
                site_url: str = "http://127.0.0.1:8001",
                ttl_minutes: int = DEFAULT_TTL_MINUTES) -> list[Path]:
    """Write every feed in both formats under out_dir (same paths as the live /-/feeds/ routes).

    Each file is replaced atomically and only when its bytes changed, so a web server serving
    the directory never sends half a file and keeps its Last-Modified while nothing changed.
    """
    out = Path(out_dir)
    written = []
    conn = open_ro(db_path)
    try:
        for spec in list_feeds(conn):
            spec = FeedSpec(spec.kind, spec.value, spec.relevant_only, limit)
            stories = fetch_stories(conn, spec)
            for fmt in ("rss", "atom"):
                data = render(spec, stories, fmt, site_url=site_url, ttl_minutes=ttl_minutes,
                              feeds_root=site_url.rstrip("/") + "/-/feeds",
                              database=Path(db_path).stem)
                target = out / f"{spec.path}.{fmt}"
                target.parent.mkdir(parents=True, exist_ok=True)
                if not target.exists() or target.read_bytes() != data:
                    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
                    tmp.write_bytes(data)
                    os.replace(tmp, target)
                written.append(target)
    finally:
        conn.close()
    return written
