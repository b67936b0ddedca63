"""The schema, as sqlite-utils Migrations: each step runs once, in order, in a transaction.

Add a step at the end; never edit one that has shipped.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

__all__ = ["migrations", "migrate", "FTS_TOKENIZE"]

migrations = Migrations("giaoban")
FTS_TOKENIZE = "unicode61 remove_diacritics 2"


@migrations()
def m001_core(db: Database) -> None:
    db["sources"].create({
        "name": str, "host": str, "family": str, "level": str, "province": str,
        "locality": str, "start_urls": str, "listing_urls": str, "verified": int,
        "registry": str, "notes": str,
    }, pk="name")
    db["crawl_runs"].create({
        "id": int, "started": str, "finished": str, "status": str, "exit_code": int,
        "sources": str, "args": str, "pages": int, "articles_new": int,
        "articles_updated": int, "errors": int, "stats": str, "summary": str,
    }, pk="id")
    db["stories"].create({
        "story_id": int, "article_id": int, "n_articles": int, "n_sources": int,
        "first_published": str, "title": str, "relevant": int,
    }, pk="story_id")
    db["articles"].create({
        "id": int, "url": str, "source": str, "title": str, "published": str, "author": str,
        "body": str, "images": str, "relevant": int, "relevance_score": float,
        "relevance_reasons": str, "meeting_kind": str, "level": str, "locality": str,
        "province": str, "chair": str, "chair_title": str, "period": str, "period_year": int,
        "period_quarter": int, "period_half": int, "period_month": int, "meeting_date": str,
        "orgs": str, "story_id": int, "content_hash": str, "family": str,
        "published_source": str, "published_raw": str, "encoding": str, "fetched_url": str,
        "first_seen": str, "last_seen": str, "updated": str, "revision": int,
        "crawl_run_id": int,
    }, pk="id", not_null={"url"},
        foreign_keys=[("story_id", "stories", "story_id"), ("crawl_run_id", "crawl_runs", "id")])
    db["articles"].create_index(["url"], unique=True)
    db["articles"].create_index(["published"])
    db["articles"].create_index(["source"])
    db["articles"].create_index(["content_hash"])
    db["articles"].create_index(["story_id"])
    db["article_urls"].create({
        "url": str, "article_id": int, "kind": str, "first_seen": str, "last_seen": str,
    }, pk="url", foreign_keys=[("article_id", "articles", "id")])
    db["article_urls"].create_index(["article_id"])
    db["pages"].create({
        "url": str, "source": str, "status": int, "page_type": str, "article_id": int,
        "content_type": str, "encoding": str, "error": str, "etag": str,
        "last_modified": str, "content_hash": str, "first_seen": str, "last_seen": str,
        "crawl_run_id": int,
    }, pk="url")
    db["pages"].create_index(["source"])
    # full-text search: original text (diacritics ignored by the tokenizer) + a folded copy
    # (đ → d) so unaccented queries find accented words; rowid = articles.id
    db.execute(
        "CREATE VIRTUAL TABLE articles_fts USING fts5("
        f"title, body, title_fold, body_fold, tokenize='{FTS_TOKENIZE}')"
    )
    db.execute("""
        CREATE VIEW meetings AS
        SELECT s.story_id, a.id AS article_id, a.title, a.published, a.meeting_date,
               a.meeting_kind AS kind, a.level, a.province, a.locality, a.chair, a.chair_title,
               a.period, a.period_year, a.period_quarter, a.period_half, a.source, a.url,
               s.n_articles, s.n_sources
        FROM stories s JOIN articles a ON a.id = s.article_id
        WHERE a.relevant = 1
    """)


def migrate(db: Database) -> None:
    migrations.apply(db)
