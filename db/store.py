"""The one writer: every row giaoban stores goes through here, in short transactions.

Scrapy pipelines, `reprocess` and the tests call the same methods, so the database has one set
of rules: articles are upserted by canonical URL, every URL variant is kept in `article_urls`,
full-text rows are written in the same transaction as their article, and a crash loses at most
the row being written.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

from sqlite_utils import Database

from aggregator.normalize import fold, normalize_text

from .migrations import migrate

__all__ = ["Store", "content_hash", "now_iso"]


def now_iso() -> str:
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")


def content_hash(body: str) -> str:
    """Hash of the normalised body: exact reposts (other dashes, spaces, tone style) collide."""
    key = " ".join(fold(normalize_text(body)).split())
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def open_db(path: str | Path) -> Database:
    path = Path(path)
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True)
    db = Database(path) if str(path) != ":memory:" else Database(memory=True)
    db.execute("PRAGMA busy_timeout = 30000")
    if str(path) != ":memory:":
        db.enable_wal()
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA foreign_keys = ON")
    migrate(db)
    return db


class Store:
    def __init__(self, path: str | Path):
        self.path = str(path)
        self.db = open_db(path)

    # -- sources and runs ---------------------------------------------------
    def upsert_sources(self, sources: list[dict], registry: str = "") -> None:
        with self.db.atomic():
            for s in sources:
                self.db["sources"].upsert({
                    "name": s["name"], "host": s.get("host"), "family": s.get("family"),
                    "level": s.get("level"), "province": s.get("province"),
                    "locality": s.get("locality"),
                    "start_urls": json.dumps(s.get("start_urls", []), ensure_ascii=False),
                    "listing_urls": json.dumps(s.get("listing_urls", []), ensure_ascii=False),
                    "verified": int(bool(s.get("verified", False))), "registry": registry,
                    "notes": s.get("notes"),
                }, pk="name")

    def begin_run(self, sources: list[str], args: dict) -> int:
        with self.db.atomic():
            table = self.db["crawl_runs"]
            table.insert({"started": now_iso(), "status": "running",
                          "sources": json.dumps(sources, ensure_ascii=False),
                          "args": json.dumps(args, ensure_ascii=False, default=str),
                          "pages": 0, "articles_new": 0, "articles_updated": 0, "errors": 0})
            return table.last_pk

    def finish_run(self, run_id: int, status: str, stats: dict, counts: dict,
                   summary: str = "", exit_code: int | None = None) -> None:
        with self.db.atomic():
            self.db["crawl_runs"].update(run_id, {
                "finished": now_iso(), "status": status, "exit_code": exit_code,
                "stats": json.dumps(stats, ensure_ascii=False, default=str, sort_keys=True),
                "summary": summary, **counts,
            })

    # -- pages ---------------------------------------------------------------
    def save_page(self, url: str, *, source: str | None, status: int | None,
                  page_type: str | None, run_id: int | None = None,
                  article_id: int | None = None, content_type: str | None = None,
                  encoding: str | None = None, error: str | None = None,
                  etag: str | None = None, last_modified: str | None = None,
                  body_hash: str | None = None) -> None:
        now = now_iso()
        with self.db.atomic():
            existing = self.db.execute("SELECT first_seen FROM pages WHERE url = ?",
                                       [url]).fetchone()
            self.db["pages"].upsert({
                "url": url, "source": source, "status": status, "page_type": page_type,
                "article_id": article_id, "content_type": content_type, "encoding": encoding,
                "error": error, "etag": etag, "last_modified": last_modified,
                "content_hash": body_hash, "first_seen": existing[0] if existing else now,
                "last_seen": now, "crawl_run_id": run_id,
            }, pk="url")

    # -- articles ------------------------------------------------------------
    def save_article(self, article: dict, *, source: str, run_id: int | None = None,
                     source_info: dict | None = None) -> tuple[int, str]:
        """Upsert by canonical URL. Returns (article id, 'new' | 'updated' | 'unchanged')."""
        source_info = source_info or {}
        now = now_iso()
        canonical = article["canonical_url"]
        meeting = article.get("meeting") or {}
        extra = article.get("meeting_extra") or {}
        period_norm = extra.get("period_norm") or {}
        chash = content_hash(article.get("body") or "")
        locality = meeting.get("locality")
        if article.get("relevant") and not locality:
            locality = source_info.get("locality")
        level = meeting.get("level")
        row = {
            "url": canonical, "source": source, "title": article.get("title"),
            "published": article.get("published"), "author": article.get("author"),
            "body": article.get("body"),
            "images": json.dumps(article.get("images") or [], ensure_ascii=False),
            "relevant": int(bool(article.get("relevant"))),
            "relevance_score": (article.get("relevance") or {}).get("score"),
            "relevance_reasons": json.dumps((article.get("relevance") or {}).get("reasons", []),
                                            ensure_ascii=False),
            "meeting_kind": meeting.get("kind"), "level": level, "locality": locality,
            "province": source_info.get("province"), "chair": meeting.get("chair"),
            "chair_title": extra.get("chair_title"), "period": meeting.get("period"),
            "period_year": period_norm.get("year"), "period_quarter": period_norm.get("quarter"),
            "period_half": period_norm.get("half"), "period_month": period_norm.get("month"),
            "meeting_date": meeting.get("meeting_date"),
            "orgs": json.dumps(extra.get("orgs") or [], ensure_ascii=False),
            "content_hash": chash, "family": article.get("family"),
            "published_source": article.get("published_source"),
            "published_raw": article.get("published_raw"), "encoding": article.get("encoding"),
            "fetched_url": article.get("url"), "last_seen": now, "crawl_run_id": run_id,
        }
        with self.db.atomic():
            found = self.db.execute(
                "SELECT id, content_hash, revision, title, published FROM articles WHERE url = ?",
                [canonical]).fetchone()
            if found is None:
                # a known variant URL (print view, old URL) may already point to an article
                alias = self.db.execute("SELECT article_id FROM article_urls WHERE url = ?",
                                        [article.get("url")]).fetchone()
                if alias:
                    found = self.db.execute(
                        "SELECT id, content_hash, revision, title, published FROM articles "
                        "WHERE id = ?", [alias[0]]).fetchone()
            if found is None:
                row.update({"first_seen": now, "updated": now, "revision": 1})
                self.db["articles"].insert(row)
                article_id = self.db.execute("SELECT id FROM articles WHERE url = ?",
                                             [canonical]).fetchone()[0]
                action = "new"
            else:
                article_id, old_hash, revision = found[0], found[1], found[2] or 1
                if old_hash == chash:
                    self.db["articles"].update(article_id, {"last_seen": now,
                                                           "crawl_run_id": run_id})
                    action = "unchanged"
                else:
                    row.pop("url")
                    row.update({"updated": now, "revision": revision + 1})
                    self.db["articles"].update(article_id, row)
                    action = "updated"
            if action != "unchanged":
                self._index(article_id, row.get("title") or "", row.get("body") or "")
                self._assign_story(article_id, chash)
            for variant, kind in ((canonical, "canonical"), (article.get("url"), "fetched")):
                if not variant:
                    continue
                self.db.execute(
                    "INSERT INTO article_urls (url, article_id, kind, first_seen, last_seen) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT(url) DO UPDATE SET "
                    "last_seen = excluded.last_seen, article_id = excluded.article_id",
                    [variant, article_id, kind, now, now])
        return article_id, action

    def _index(self, article_id: int, title: str, body: str) -> None:
        self.db.execute("DELETE FROM articles_fts WHERE rowid = ?", [article_id])
        self.db.execute(
            "INSERT INTO articles_fts (rowid, title, body, title_fold, body_fold) "
            "VALUES (?, ?, ?, ?, ?)", [article_id, title, body, fold(title), fold(body)])

    def _assign_story(self, article_id: int, chash: str) -> None:
        """Exact duplicates (same normalised body) share a story; the earliest is representative."""
        twin = self.db.execute(
            "SELECT story_id FROM articles WHERE content_hash = ? AND id != ? "
            "AND story_id IS NOT NULL ORDER BY id LIMIT 1", [chash, article_id]).fetchone()
        current = self.db.execute("SELECT story_id FROM articles WHERE id = ?",
                                  [article_id]).fetchone()[0]
        story_id = twin[0] if twin else (current or None)
        if story_id is None:
            self.db["stories"].insert({"article_id": article_id, "n_articles": 1})
            story_id = self.db.execute("SELECT max(story_id) FROM stories").fetchone()[0]
        self.db["articles"].update(article_id, {"story_id": story_id})
        if current and current != story_id:
            self.refresh_story(current)
        self.refresh_story(story_id)

    def refresh_story(self, story_id: int) -> None:
        rows = self.db.execute(
            "SELECT id, published, title, relevant, source, length(body) FROM articles "
            "WHERE story_id = ? ORDER BY coalesce(published, '9999'), id", [story_id]).fetchall()
        if not rows:
            self.db.execute("DELETE FROM stories WHERE story_id = ?", [story_id])
            return
        rep = rows[0]
        self.db["stories"].upsert({
            "story_id": story_id, "article_id": rep[0], "n_articles": len(rows),
            "n_sources": len({r[4] for r in rows}), "first_published": rep[1],
            "title": rep[2], "relevant": max(r[3] or 0 for r in rows),
        }, pk="story_id")

    def close(self) -> None:
        self.db.close()
