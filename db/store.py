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

from aggregator.dedupe import MIN_NEAR, EventFacts, band_keys, same_story, signature
from aggregator.normalize import fold, normalize_text

from .migrations import migrate
from .search import index_columns, search_key

__all__ = ["Store", "content_hash", "now_iso"]

MAX_CANDIDATES = 200  # LSH candidates checked per article (template-heavy portals collide)
# what save_article reads of an article it may already have
_FOUND = "SELECT id, content_hash, revision, search_key, first_seen FROM articles"


def now_iso() -> str:
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")


def content_hash(body: str, folded: bool = False) -> str:
    """Hash of the folded body: exact reposts (other dashes, spaces, tone style) collide."""
    key = " ".join((body if folded else fold(body)).split())
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
                  body_hash: str | None = None, warc_file: str | None = None,
                  warc_offset: int | None = None) -> None:
        """Record what a URL was on this fetch (the crawl state incremental runs read)."""
        now = now_iso()
        with self.db.atomic():
            existing = self.db.execute(
                "SELECT first_seen, content_hash, last_changed, article_id FROM pages "
                "WHERE url = ?", [url]).fetchone()
            changed = existing is None or (body_hash is not None and existing[1] != body_hash)
            self.db.execute(
                "INSERT OR REPLACE INTO pages (url, source, status, page_type, article_id, "
                "content_type, encoding, error, etag, last_modified, content_hash, first_seen, "
                "last_seen, crawl_run_id, warc_file, warc_offset, last_changed, not_modified) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
                [url, source, status, page_type,
                 article_id if article_id is not None else (existing[3] if existing else None),
                 content_type, encoding, error, etag, last_modified,
                 body_hash if body_hash is not None else (existing[1] if existing else None),
                 existing[0] if existing else now, now, run_id, warc_file, warc_offset,
                 now if changed else existing[2]])

    def page_not_modified(self, url: str, run_id: int | None = None) -> None:
        """A 304: the page (and its article) was seen again, unchanged."""
        now = now_iso()
        with self.db.atomic():
            self.db.execute("UPDATE pages SET last_seen = ?, crawl_run_id = ?, "
                            "not_modified = coalesce(not_modified, 0) + 1 WHERE url = ?",
                            [now, run_id, url])
            self.db.execute("UPDATE articles SET last_seen = ? WHERE id = (SELECT article_id "
                            "FROM pages WHERE url = ?)", [now, url])

    def cached_robots(self, netloc: str, max_age_hours: float = 24.0) -> bytes | None:
        row = self.db.execute(
            "SELECT body FROM robots_cache WHERE netloc = ? AND "
            "julianday('now') - julianday(fetched) < ? / 24.0", [netloc, max_age_hours]
        ).fetchone()
        return row[0] if row else None

    def save_robots(self, netloc: str, body: bytes) -> None:
        with self.db.atomic():
            self.db.execute("INSERT OR REPLACE INTO robots_cache (netloc, body, fetched) "
                            "VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
                            [netloc, body])

    def save_source_runs(self, run_id: int, per_source: dict[str, dict]) -> None:
        with self.db.atomic():
            for source, c in per_source.items():
                self.db["source_runs"].upsert({"crawl_run_id": run_id, "source": source,
                                               "finished": now_iso(), **c},
                                              pk=("crawl_run_id", "source"))

    def health(self, max_days: int = 30) -> list[dict]:
        """Per-source health with a verdict: 'broken' when the last run's listings matched no
        article link, when nothing was fetched, or when no new item came for `max_days`."""
        rows = [dict(r) for r in self.db.query("SELECT * FROM source_health ORDER BY source")]
        for r in rows:
            reasons = []
            if r["runs"] is None:
                reasons.append("never crawled")
            else:
                if r["last_listing_pages"] and not r["last_listing_article_links"]:
                    reasons.append("listing pages matched 0 article links")
                if r["last_success"] is None:
                    reasons.append("no page fetched")
                if (r["days_without_new_items"] or 0) > max_days:
                    reasons.append(f"no new items for {r['days_without_new_items']} days")
                if (r["http_error_rate"] or 0) > 0.5:
                    reasons.append(f"HTTP error rate {r['http_error_rate']:.0%}")
            r["status"] = "broken" if reasons and r["runs"] is not None else (
                "new" if r["runs"] is None else "ok")
            r["reasons"] = "; ".join(reasons)
        return rows

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
        folded_body = fold(article.get("body") or "")  # once, for the hash and the signature
        chash = content_hash(folded_body, folded=True)
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
        canonical_kind = "canonical"
        sig = signature(f"{fold(article.get('title') or '')}\n{folded_body}", folded=True)
        with self.db.atomic():
            found = self.db.execute(f"{_FOUND} WHERE url = ?", [canonical]).fetchone()
            if found is None:
                # a known variant URL (print view, old URL) may already point to an article
                alias = self.db.execute("SELECT article_id FROM article_urls WHERE url = ?",
                                        [article.get("url")]).fetchone()
                if alias:
                    found = self.db.execute(f"{_FOUND} WHERE id = ?", [alias[0]]).fetchone()
            if found is None:
                # the same text on the same portal under another URL (print view, tracking
                # noise, a host alias): one article, one more URL variant
                found = self.db.execute(
                    f"{_FOUND} WHERE source = ? AND content_hash = ? ORDER BY id LIMIT 1",
                    [source, chash]).fetchone()
                if found is not None:
                    canonical_kind = "variant"
            if found is None:
                # the story is chosen before the insert: a new row is written once
                story_id, why, sim = self.match_story(None, chash, sig, self._row_facts(row))
                if story_id is None:
                    story_id = self._insert("stories", {"n_articles": 1})
                # the id is chosen here (what SQLite would choose) so the search key, which
                # contains it, is written with the row
                article_id = self.db.execute(
                    "SELECT coalesce(max(id), 0) + 1 FROM articles").fetchone()[0]
                key = search_key(article_id, row["published"], now)
                row.update({"id": article_id, "first_seen": now, "updated": now,
                            "revision": 1, "story_id": story_id, "story_reason": why,
                            "story_similarity": round(sim, 3), "search_key": key})
                self._insert("articles", row)
                for column in ("id", "story_id", "story_reason", "story_similarity"):
                    row.pop(column)
                old_key = None
                action = "new"
            else:
                article_id, old_hash, revision, old_key, first_seen = \
                    found[0], found[1], found[2] or 1, found[3], found[4]
                if old_hash == chash:
                    self._update("articles", article_id, {"last_seen": now,
                                                         "crawl_run_id": run_id})
                    action = "unchanged"
                else:
                    self._keep_revision(article_id, now)
                    row.pop("url")
                    key = search_key(article_id, row["published"], first_seen)
                    row.update({"updated": now, "revision": revision + 1, "search_key": key})
                    self._update("articles", article_id, row)
                    action = "updated"
            if action != "unchanged":
                self._index(old_key, key, row.get("title") or "", row.get("body") or "")
                self._store_signature(article_id, sig)
                if action == "new":
                    self.refresh_story(story_id)
                else:
                    self._story_after_edit(article_id, chash, sig)
            variants = [(canonical, canonical_kind), (article.get("url"), "fetched")]
            variants += [(u, "print") for u in article.get("alternate_urls") or []]
            for variant, kind in variants:
                if not variant:
                    continue
                self.db.execute(
                    "INSERT INTO article_urls (url, article_id, kind, first_seen, last_seen) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT(url) DO UPDATE SET "
                    "last_seen = excluded.last_seen, article_id = excluded.article_id",
                    [variant, article_id, kind, now, now])
        return article_id, action

    def _index(self, old_key: int | None, key: int, title: str, body: str) -> None:
        """Replace the article's search row (same transaction); its rowid is the article's
        search_key, its columns are built by db/search.py."""
        if old_key is not None:
            self.db.execute("DELETE FROM articles_fts WHERE rowid = ?", [old_key])
        self.db.execute(
            "INSERT INTO articles_fts (rowid, title, body, title_fold, body_fold) "
            "VALUES (?, ?, ?, ?, ?)", [key, *index_columns(title, body)])

    def _insert(self, table: str, row: dict) -> int:
        """Plain INSERT (the hot path: sqlite-utils re-reads the schema on every call)."""
        cols = ", ".join(f"[{c}]" for c in row)
        cur = self.db.execute(f"INSERT INTO [{table}] ({cols}) VALUES "
                              f"({', '.join('?' * len(row))})", list(row.values()))
        return cur.lastrowid

    def _update(self, table: str, pk: int, values: dict) -> None:
        key = {"articles": "id", "stories": "story_id"}[table]
        sets = ", ".join(f"[{c}] = ?" for c in values)
        self.db.execute(f"UPDATE [{table}] SET {sets} WHERE [{key}] = ?", [*values.values(), pk])

    def _keep_revision(self, article_id: int, now: str) -> None:
        """Before an edit overwrites an article, keep the version it replaces."""
        old = self.db.execute(
            "SELECT revision, title, published, author, body, content_hash, coalesce(updated, "
            "first_seen) FROM articles WHERE id = ?", [article_id]).fetchone()
        self.db["article_revisions"].insert({
            "article_id": article_id, "revision": old[0] or 1, "title": old[1],
            "published": old[2], "author": old[3], "body": old[4], "content_hash": old[5],
            "first_seen": old[6], "replaced": now}, replace=True)

    def _store_signature(self, article_id: int, sig) -> None:
        self.db.execute("DELETE FROM minhash_bands WHERE article_id = ?", [article_id])
        self.db.execute("INSERT OR REPLACE INTO article_minhash (article_id, sig) VALUES (?, ?)",
                        [article_id, sig.tobytes()])
        self.db.conn.executemany("INSERT INTO minhash_bands (band_key, article_id) VALUES (?, ?)",
                                 [(k, article_id) for k in band_keys(sig)])

    def _facts(self, article_id: int) -> EventFacts:
        r = self.db.execute(
            "SELECT relevant, meeting_date, period_year, period_quarter, period_half, "
            "period_month, locality, level, published FROM articles WHERE id = ?",
            [article_id]).fetchone()
        return EventFacts(bool(r[0]), *r[1:])

    @staticmethod
    def _row_facts(row: dict) -> EventFacts:
        return EventFacts(bool(row.get("relevant")), row.get("meeting_date"),
                          row.get("period_year"), row.get("period_quarter"),
                          row.get("period_half"), row.get("period_month"), row.get("locality"),
                          row.get("level"), row.get("published"))

    def match_story(self, article_id: int | None, chash: str, sig,
                    facts: EventFacts | None = None) -> tuple[int | None, str, float]:
        """The story this article belongs to: (story_id or None, why, similarity).

        `article_id` is None for an article not inserted yet (then `facts` are its own).
        """
        twin = self.db.execute(
            "SELECT story_id FROM articles WHERE content_hash = ? AND id IS NOT ? "
            "AND story_id IS NOT NULL ORDER BY id LIMIT 1", [chash, article_id]).fetchone()
        if twin:
            return twin[0], "same normalised text", 1.0
        keys = band_keys(sig)
        marks = ",".join("?" * len(keys))
        # signatures first (a narrow table); the article rows only of the near ones: on a
        # million-article archive, 200 wide-row lookups per article were most of the cost
        candidates = self.db.execute(
            f"SELECT m.article_id, m.sig FROM (SELECT DISTINCT article_id FROM minhash_bands "
            f"WHERE band_key IN ({marks}) AND article_id IS NOT ? LIMIT {MAX_CANDIDATES}) c "
            f"JOIN article_minhash m ON m.article_id = c.article_id",
            [*keys, article_id]).fetchall()
        if not candidates:
            return None, "no near-duplicate", 0.0
        import numpy as np

        sims = (np.frombuffer(b"".join(c[1] for c in candidates), dtype=np.uint32)
                .reshape(len(candidates), -1) == sig).mean(axis=1)
        order = [k for k in np.argsort(-sims, kind="stable") if sims[k] >= MIN_NEAR]
        if not order:
            return None, "no near-duplicate", float(sims.max())
        near = [candidates[k][0] for k in order]
        rows = {r[0]: r[1:] for r in self.db.execute(
            f"SELECT id, story_id, relevant, meeting_date, period_year, period_quarter, "
            f"period_half, period_month, locality, level, published FROM articles "
            f"WHERE id IN ({','.join('?' * len(near))}) AND story_id IS NOT NULL", near)}
        mine = facts if facts is not None else self._facts(article_id)
        rejected = None
        for k, candidate in zip(order, near):
            if candidate not in rows:
                continue  # not assigned yet
            sim, c = float(sims[k]), rows[candidate]
            ok, why = same_story(sim, mine, EventFacts(bool(c[1]), *c[2:]))
            if ok:
                return c[0], why, sim
            rejected = rejected or (f"near-duplicate rejected: {why}", sim)
        if rejected is None:
            return None, "no near-duplicate", 0.0
        return None, rejected[0], rejected[1]

    def _story_after_edit(self, article_id: int, chash: str, sig) -> None:
        """An edited article keeps its story (story ids are permanent: feeds use them as
        GUIDs; stories are never renumbered or merged); one without a story gets one."""
        current = self.db.execute("SELECT story_id FROM articles WHERE id = ?",
                                  [article_id]).fetchone()[0]
        if current is None:
            current, why, sim = self.match_story(article_id, chash, sig)
            if current is None:
                current = self._insert("stories", {"article_id": article_id, "n_articles": 1})
            self._update("articles", article_id, {"story_id": current, "story_reason": why,
                                                  "story_similarity": round(sim, 3)})
        self.refresh_story(current)

    def refresh_story(self, story_id: int) -> None:
        """Counts, and the representative: the earliest-published complete copy."""
        rows = self.db.execute(
            "SELECT id, published, title, relevant, source, length(body) FROM articles "
            "WHERE story_id = ? ORDER BY coalesce(published, '9999'), id", [story_id]).fetchall()
        if not rows:
            self.db.execute("DELETE FROM stories WHERE story_id = ?", [story_id])
            return
        longest = max(r[5] or 0 for r in rows)
        complete = [r for r in rows if (r[5] or 0) >= 0.8 * longest]
        rep = complete[0]
        self.db.execute(
            "UPDATE stories SET article_id = ?, n_articles = ?, n_sources = ?, "
            "first_published = ?, title = ?, relevant = ? WHERE story_id = ?",
            [rep[0], len(rows), len({r[4] for r in rows}), rows[0][1], rep[2],
             max(r[3] or 0 for r in rows), story_id])

    def analyze(self) -> None:
        """Refresh the query planner's statistics (sqlite_stat1) for the analyst tables.

        Without them SQLite guesses that `relevant = 1` selects ~10 rows and drives a search
        page from that index (80 000 rows on a million articles) instead of from the 500 search
        keys: a facet click took a second. Sampled (analysis_limit), so it takes milliseconds
        whatever the archive's size; run after crawls and before serving.
        """
        self.db.execute("PRAGMA analysis_limit = 1000")
        with self.db.atomic():
            for table in ("articles", "stories"):
                self.db.execute(f"ANALYZE {table}")

    def batch(self):
        """One transaction around many writes (imports, reprocess): each save_article inside
        becomes a savepoint, so a failing article still rolls back alone."""
        return self.db.atomic()

    def rebuild_stories(self, workers: int = 2, batch: int = 20000, progress=None) -> dict:
        """Recompute signatures, bands and stories for the whole archive (`_rebuild_stories`).

        Stories are deleted and re-created: the foreign key from `articles` is checked once, at
        the end, instead of nulling every story_id first.
        """
        import time

        self.db.execute("PRAGMA foreign_keys = OFF")
        try:
            counts = self._rebuild_stories(workers, batch, progress)
        finally:
            self.db.execute("PRAGMA foreign_keys = ON")
        t = time.perf_counter()
        broken = self.db.execute("PRAGMA foreign_key_check(articles)").fetchall()
        if broken:
            raise RuntimeError(f"rebuild left {len(broken)} articles without their story")
        counts["seconds"]["check"] = round(time.perf_counter() - t, 1)
        self.analyze()
        return counts

    def _rebuild_stories(self, workers: int, batch: int, progress) -> dict:
        """Recompute signatures, bands and stories for the whole archive (an admin job).

        The same decisions as the incremental path (`match_story`), made in bulk: articles are
        visited in publication order so the earliest copy founds each story; an exact twin
        joins its twin's story; otherwise the candidates are the earlier articles sharing an
        LSH band (an in-memory `BandIndex` instead of one indexed query per article), checked
        by similarity and the event guard. Signatures are computed in `workers` processes while
        this one reads and writes. Story ids are renumbered: run it on a fresh import, not under
        published feeds. `counts["seconds"]` times each phase.
        """
        import multiprocessing
        import time

        import numpy as np

        from aggregator.dedupe import BANDS, NUM_PERM, BandIndex, signatures_and_bands

        db = self.db
        clock, seconds = time.perf_counter(), {}

        def lap(name: str) -> None:
            nonlocal clock
            now = time.perf_counter()
            seconds[name] = round(now - clock, 1)
            clock = now

        # publication order: the earliest copy founds each story
        order = db.execute("SELECT id, content_hash FROM articles "
                           "ORDER BY coalesce(published, '9999'), id").fetchall()
        n = len(order)
        ids = np.fromiter((r[0] for r in order), dtype=np.int64, count=n)
        hashes = [r[1] for r in order]
        del order
        position = np.full(int(ids.max()) + 1 if n else 1, -1, dtype=np.int64)
        position[ids] = np.arange(n, dtype=np.int64)
        counts = {"articles": n, "stories": 0, "exact": 0, "near": 0, "rejected": 0}
        db.execute("PRAGMA cache_size = -262144")  # 256 MB: band index and stories are large
        with db.atomic():
            for table in ("minhash_bands", "article_minhash", "stories"):
                db.execute(f"DELETE FROM {table}")
        db.execute("DROP INDEX IF EXISTS idx_minhash_bands_band_key")
        db.execute("DROP INDEX IF EXISTS idx_minhash_bands_article_id")
        lap("read")
        # 1. signatures and band keys (workers), stored in id order while the next batch runs
        sigs = np.empty((n, NUM_PERM), dtype=np.uint32)
        keys = np.empty((n, BANDS), dtype=np.int64)

        def store_batch(chunk: list[int], job) -> None:
            got = [(np.frombuffer(s, dtype=np.uint32).reshape(-1, NUM_PERM),
                    np.frombuffer(k, dtype=np.int64).reshape(-1, BANDS)) for s, k in job.get()]
            part_sigs = np.concatenate([g[0] for g in got])
            part_keys = np.concatenate([g[1] for g in got])
            where = position[np.asarray(chunk, dtype=np.int64)]
            sigs[where], keys[where] = part_sigs, part_keys
            with db.atomic():
                db.conn.executemany(
                    "INSERT INTO article_minhash (article_id, sig) VALUES (?, ?)",
                    zip(chunk, (row.tobytes() for row in part_sigs)))
                db.conn.executemany(
                    "INSERT INTO minhash_bands (band_key, article_id) VALUES (?, ?)",
                    zip(part_keys.ravel().tolist(), np.repeat(chunk, BANDS).tolist()))

        done = 0
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            pending = None
            cursor = db.execute("SELECT id, coalesce(title, '') || char(10) || "
                                "coalesce(body, '') FROM articles ORDER BY id")
            while True:
                rows = cursor.fetchmany(batch)
                if not rows:
                    break
                chunk = [r[0] for r in rows]
                texts = [r[1] for r in rows]
                del rows
                job = pool.map_async(signatures_and_bands,
                                     [texts[k:k + 500] for k in range(0, len(texts), 500)])
                if pending:
                    store_batch(*pending)
                    done += len(pending[0])
                    if progress:
                        progress(done, 2 * n)
                pending = (chunk, job)
            if pending:
                store_batch(*pending)
                done += len(pending[0])
        lap("signatures")
        with db.atomic():
            db["minhash_bands"].create_index(["band_key"], if_not_exists=True)
            db["minhash_bands"].create_index(["article_id"], if_not_exists=True)
        lap("band index (SQLite)")
        # 2. stories, in publication order, from an in-memory band index
        index = BandIndex(keys)
        del keys
        lap("band index (memory)")
        story_of = np.zeros(n, dtype=np.int64)
        founders: list[int] = []
        assigned: list[tuple] = []
        first_of_hash: dict[str, int] = {}
        facts: dict[int, EventFacts] = {}

        def facts_of(p: int) -> EventFacts:
            if p not in facts:
                facts[p] = self._facts(int(ids[p]))
            return facts[p]

        for p in range(n):
            story, why, sim = 0, "no near-duplicate", 0.0
            twin = first_of_hash.get(hashes[p])
            if twin is not None:
                story, why, sim = int(story_of[twin]), "same normalised text", 1.0
            else:
                if hashes[p] is not None:
                    first_of_hash[hashes[p]] = p
                earlier = index.earlier(p, MAX_CANDIDATES)
                if len(earlier):
                    sims = (sigs[earlier] == sigs[p]).mean(axis=1)
                    best = float(sims.max())
                    if best < MIN_NEAR:
                        sim = best
                    else:
                        rejected = None
                        for k in np.argsort(-sims, kind="stable"):
                            if sims[k] < MIN_NEAR:
                                break
                            ok, reason = same_story(float(sims[k]), facts_of(p),
                                                    facts_of(int(earlier[k])))
                            if ok:
                                story, why, sim = int(story_of[earlier[k]]), reason, float(sims[k])
                                break
                            rejected = rejected or (f"near-duplicate rejected: {reason}",
                                                    float(sims[k]))
                        if not story:
                            why, sim = rejected
            if story:
                counts["exact" if why.startswith("same normalised") else "near"] += 1
            else:
                founders.append(p)
                story = len(founders)
                counts["stories"] += 1
                counts["rejected"] += "rejected" in why
            story_of[p] = story
            assigned.append((story, why, round(sim, 3), int(ids[p])))
            if len(facts) > 200_000:  # a cache of recent articles' facts, not of the archive
                facts.clear()
            if progress and p % batch == 0:
                progress(n + p, 2 * n)
        del index, sigs
        lap("stories (memory)")
        assigned.sort(key=lambda r: r[3])  # id order: sequential writes
        with db.atomic():
            db.conn.executemany(
                "INSERT INTO stories (story_id, article_id, n_articles, n_sources, "
                "first_published, title, relevant) SELECT ?, id, 1, 1, published, title, "
                "relevant FROM articles WHERE id = ?",
                ((k + 1, int(ids[p])) for k, p in enumerate(founders)))
            db.conn.executemany("UPDATE articles SET story_id = ?, story_reason = ?, "
                                "story_similarity = ? WHERE id = ?", assigned)
            shared = np.flatnonzero(np.bincount(story_of, minlength=len(founders) + 1) > 1)
            for story_id in shared.tolist():
                self.refresh_story(story_id)
        lap("write stories")
        if progress:
            progress(2 * n, 2 * n)
        counts["seconds"] = seconds
        return counts

    def close(self) -> None:
        self.db.close()
