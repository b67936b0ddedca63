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


@migrations()
def m002_search_exact_accents(db: Database) -> None:
    """Accented query words match exactly, unaccented ones every spelling (db/search.py).

    Rebuilds `articles_fts` with `remove_diacritics 0` on the original columns (the folded
    columns carry the unaccented keys), re-indexes every article, adds a trigger so a deleted
    article leaves no search row behind, and indexes the facet / join columns Datasette's
    facets, the `meetings` view and the chart read.
    """
    from .search import TOKENIZE, index_columns

    db.execute("DROP TABLE IF EXISTS articles_fts")
    db.execute("CREATE VIRTUAL TABLE articles_fts USING fts5("
               f"title, body, title_fold, body_fold, tokenize='{TOKENIZE}')")
    rows = db.execute("SELECT id, title, body FROM articles").fetchall()
    db.conn.executemany(
        "INSERT INTO articles_fts (rowid, title, body, title_fold, body_fold) "
        "VALUES (?, ?, ?, ?, ?)", [(i, *index_columns(t, b)) for i, t, b in rows])
    db.execute("CREATE TRIGGER IF NOT EXISTS articles_fts_delete AFTER DELETE ON articles "
               "BEGIN DELETE FROM articles_fts WHERE rowid = old.id; END")
    for columns in (["relevant"], ["province"], ["level"], ["meeting_kind"], ["period_year"]):
        db["articles"].create_index(columns, if_not_exists=True)
    db["stories"].create_index(["article_id"], if_not_exists=True)


@migrations()
def m003_dedup(db: Database) -> None:
    """Near-duplicate stories and revisions (aggregator/dedupe.py).

    `article_minhash` keeps each article's MinHash signature; `minhash_bands` its LSH band
    keys, indexed, so a new article finds its candidates with one indexed query whatever the
    archive's size. `article_revisions` keeps every earlier version of an edited article.
    """
    db["article_minhash"].create({"article_id": int, "sig": bytes}, pk="article_id")
    db["minhash_bands"].create({"band_key": int, "article_id": int})
    db["minhash_bands"].create_index(["band_key"])
    db["minhash_bands"].create_index(["article_id"])
    db["article_revisions"].create({
        "article_id": int, "revision": int, "title": str, "published": str, "author": str,
        "body": str, "content_hash": str, "first_seen": str, "replaced": str,
    }, pk=("article_id", "revision"))
    db["stories"].add_column("reason", str)
    db["articles"].add_column("story_reason", str)
    db["articles"].add_column("story_similarity", float)
    db.execute("""
        CREATE VIEW story_copies AS
        SELECT a.story_id, s.title AS story_title, a.id AS article_id, a.source, a.title,
               a.published, a.url, (a.id = s.article_id) AS representative, a.story_reason,
               a.story_similarity
        FROM articles a JOIN stories s ON s.story_id = a.story_id
    """)


@migrations()
def m004_incremental(db: Database) -> None:
    """Crawl state for incremental runs, the WARC archive's index, and per-source health."""
    for column, kind in (("warc_file", str), ("warc_offset", int), ("last_changed", str),
                         ("not_modified", int)):
        db["pages"].add_column(column, kind)
    db["robots_cache"].create({"netloc": str, "body": bytes, "fetched": str}, pk="netloc")
    db["source_runs"].create({
        "crawl_run_id": int, "source": str, "requests": int, "pages": int, "articles_new": int,
        "articles_updated": int, "not_modified": int, "skipped_known": int, "errors": int,
        "listing_pages": int, "listing_article_links": int, "date_missing": int,
        "extract_errors": int, "finished": str,
    }, pk=("crawl_run_id", "source"))
    db["crawl_runs"].add_column("warc_dir", str)
    db.execute("""
        CREATE VIEW source_health AS
        WITH last_run AS (
          SELECT source, max(crawl_run_id) AS run FROM source_runs GROUP BY source),
        latest AS (
          SELECT r.* FROM source_runs r JOIN last_run l
            ON l.source = r.source AND l.run = r.crawl_run_id),
        totals AS (
          SELECT source, count(*) AS runs, sum(requests) AS requests, sum(errors) AS errors,
                 sum(pages) AS pages, sum(date_missing) AS date_missing,
                 sum(extract_errors) AS extract_errors,
                 max(CASE WHEN pages > 0 THEN finished END) AS last_success,
                 max(CASE WHEN articles_new > 0 THEN finished END) AS last_new_items,
                 avg(articles_new) AS items_per_run
          FROM source_runs GROUP BY source)
        SELECT s.name AS source, s.host, s.family, s.level, s.province, t.runs,
               t.last_success, t.last_new_items,
               CAST(julianday('now') - julianday(coalesce(t.last_new_items,
                    (SELECT min(started) FROM crawl_runs))) AS INTEGER) AS days_without_new_items,
               round(t.items_per_run, 2) AS items_per_run,
               l.listing_pages AS last_listing_pages,
               l.listing_article_links AS last_listing_article_links,
               round(1.0 * t.errors / max(t.requests, 1), 3) AS http_error_rate,
               round(1.0 * t.extract_errors / max(t.pages, 1), 3) AS extraction_failure_rate,
               round(1.0 * t.date_missing / max(t.pages, 1), 3) AS date_failure_rate
        FROM sources s LEFT JOIN totals t ON t.source = s.name
        LEFT JOIN latest l ON l.source = s.name
    """)


@migrations()
def m005_analyst_indexes(db: Database) -> None:
    """Indexes for Datasette's pages on a large archive (bench/search.py measures them).

    `meetings` filters `articles.relevant = 1`: (relevant, published) gives its newest-first
    page without sorting every briefing, and (relevant, X) lets each of its facets count from
    an index instead of the rows. period_quarter completes the single-column facet indexes of
    `articles` (m002).
    """
    db["articles"].create_index(["period_quarter"], if_not_exists=True)
    for column in ("published", "province", "level", "meeting_kind", "period_year",
                   "period_quarter", "source"):
        db["articles"].create_index(["relevant", column], if_not_exists=True)


@migrations()
def m006_search_newest_first(db: Database) -> None:
    """Search rows keyed by `articles.search_key` (publication day × 2³² + id, db/search.py).

    FTS5 returns matches in rowid order, so with this key the newest N matches of any search
    are read from the index alone: Datasette's `?_search=` over a million articles no longer
    looks up every match (db/plugins/giaoban_search.py). Re-keys and re-indexes every article.
    """
    from .search import TOKENIZE, index_columns, search_key

    if "search_key" not in db["articles"].columns_dict:
        db["articles"].add_column("search_key", int)
    db.execute("DROP TRIGGER IF EXISTS articles_fts_delete")
    db.execute("DROP TABLE IF EXISTS articles_fts")
    db.execute("CREATE VIRTUAL TABLE articles_fts USING fts5("
               f"title, body, title_fold, body_fold, tokenize='{TOKENIZE}')")
    cursor = db.conn.execute("SELECT id, published, first_seen, title, body FROM articles")
    while rows := cursor.fetchmany(5000):
        keyed = [(search_key(i, p, f), i, t, b) for i, p, f, t, b in rows]
        db.conn.executemany("UPDATE articles SET search_key = ? WHERE id = ?",
                            [(k, i) for k, i, _, _ in keyed])
        db.conn.executemany(
            "INSERT INTO articles_fts (rowid, title, body, title_fold, body_fold) "
            "VALUES (?, ?, ?, ?, ?)", [(k, *index_columns(t, b)) for k, _, t, b in keyed])
    # search_key first (the window and key lookups of the search plugin), then every
    # `articles` facet column: Datasette's facet counts over a search read this index, not the
    # article rows (whose bodies spill over pages). Keys are unique by construction (id is in
    # them).
    db.execute("CREATE INDEX IF NOT EXISTS idx_articles_search ON articles (search_key, "
               "relevant, source, province, level, meeting_kind, period_year, period_quarter)")
    db.execute("CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles "
               "BEGIN DELETE FROM articles_fts WHERE rowid = old.search_key; END")

