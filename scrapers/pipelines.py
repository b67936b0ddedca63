"""Item pipeline: raw page → extract_article (pure) → the one writer (db.store).

The spider hands over raw responses; this is where a page becomes an article row, or a `pages`
row saying why it is not one. A page that breaks extraction is logged and counted, never
allowed to stop the crawl.
"""

from __future__ import annotations

import hashlib
import logging
import time

from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThreadPool
from twisted.python.threadpool import ThreadPool

from aggregator import extract_article
from db.store import Store

logger = logging.getLogger("giaoban.pipeline")


class StorePipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.db_path = crawler.settings.get("GIAOBAN_DB")
        self.store: Store | None = None
        self.run_id: int | None = None
        self.counts = {"pages": 0, "articles_new": 0, "articles_updated": 0, "errors": 0}
        self.per_source: dict[str, dict] = {}
        self._extractor = None  # the extraction thread (open_spider)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    @property
    def spider(self):
        return self.crawler.spider

    def open_spider(self, spider=None):
        self.store = Store(self.db_path)
        spider = spider or self.spider
        self.run_id = self.crawler.settings.getint("GIAOBAN_RUN_ID") or self.store.begin_run(
            sources=[], args={"spider": spider.name})
        spider.giaoban_run_id = self.run_id  # the spider tells a resumed crawl by it
        self._extractor = ThreadPool(1, 1, name="giaoban-extract")
        self._extractor.start()

    async def _extract(self, body: bytes, url: str, content_type: str | None,
                       fetched_at: str | None, family: str | None) -> dict:
        """extract_article in the pipeline's worker thread: a page that takes seconds to
        extract no longer stalls every download (the reactor keeps running). One worker, so
        pages are extracted one at a time, as before; the writes stay on the reactor thread."""
        from twisted.internet import reactor  # the installed one, known only at run time

        def timed() -> tuple[dict, int]:
            started = time.perf_counter()
            article = extract_article(body, url, content_type, fetched_at, family=family)
            return article, int((time.perf_counter() - started) * 1000)

        article, ms = await maybe_deferred_to_future(
            deferToThreadPool(reactor, self._extractor, timed))
        self.crawler.stats.max_value("giaoban/extract_max_ms", ms)
        return article

    def _sources_registered(self):
        spider = self.spider
        if not getattr(self, "_registered", False) and getattr(spider, "sources", None):
            self.store.upsert_sources([s.as_dict() for s in spider.sources.values()],
                                      registry=str(getattr(spider, "sources_path", "") or ""))
            self._registered = True

    def _src(self, source: str | None) -> dict:
        return self.per_source.setdefault(source or "", {
            "pages": 0, "articles_new": 0, "articles_updated": 0, "errors": 0,
            "date_missing": 0, "extract_errors": 0})

    async def process_item(self, item, spider=None):
        self._sources_registered()
        kind = item.get("kind")
        stats = self.crawler.stats
        if kind == "not_modified":
            self.store.page_not_modified(item["url"], self.run_id)
            return item
        if kind in ("error", "skipped"):
            self.counts["errors"] += kind == "error"
            self._src(item.get("source"))["errors"] += kind == "error"
            self.store.save_page(item["url"], source=item.get("source"),
                                 status=item.get("status"), page_type=kind,
                                 run_id=self.run_id, error=item.get("reason"))
            return item
        self.counts["pages"] += 1
        body = item["body"]
        source = item["source"]
        per = self._src(source)
        per["pages"] += 1
        src = self.spider.sources.get(source)
        try:
            family = self.spider.families.get(source) if hasattr(self.spider, "families") \
                else None
            article = await self._extract(body, item["url"], item.get("content_type"),
                                          item.get("fetched_at"), family)
        except Exception as exc:  # extraction is meant never to raise; if it does, say so
            logger.exception("giaoban: extraction failed on %s", item["url"])
            stats.inc_value("giaoban/extract_errors")
            self.counts["errors"] += 1
            per["extract_errors"] += 1
            self.store.save_page(item["url"], source=source, status=item.get("status"),
                                 page_type="error", run_id=self.run_id,
                                 error=f"extraction failed: {exc.__class__.__name__}: {exc}")
            return {"kind": "page", "url": item["url"], "page_type": "error"}
        page_type = article.get("page_type")
        stats.inc_value(f"giaoban/page_type/{page_type}")
        if article.get("legacy_font"):
            # TCVN3 / VNI text is Latin-1 drawn with special fonts: stored as is, flagged
            logger.warning("giaoban: %s looks %s font-encoded (not Unicode)", item["url"],
                           article["legacy_font"])
            stats.inc_value(f"giaoban/legacy_font/{article['legacy_font']}")
        if article.get("error"):
            stats.inc_value("giaoban/bad_pages")
        article_id = None
        if page_type == "article":
            if article.get("published") is None:
                stats.inc_value("giaoban/date_missing")
                per["date_missing"] += 1
            source_info = {"province": src.province if src else None,
                           "locality": src.locality if src else None}
            article_id, action = self.store.save_article(
                article, source=source, run_id=self.run_id, source_info=source_info)
            stats.inc_value(f"giaoban/articles_{action}")
            if action == "new":
                self.counts["articles_new"] += 1
                per["articles_new"] += 1
            elif action == "updated":
                self.counts["articles_updated"] += 1
                per["articles_updated"] += 1
            for variant in item.get("redirect_urls") or []:
                self.store.db.execute(
                    "INSERT OR IGNORE INTO article_urls (url, article_id, kind, first_seen, "
                    "last_seen) VALUES (?, ?, 'redirect', datetime('now'), datetime('now'))",
                    [variant, article_id])
        self.store.save_page(
            item["url"], source=source, status=item.get("status"), page_type=page_type,
            run_id=self.run_id, article_id=article_id, content_type=item.get("content_type"),
            encoding=article.get("encoding"), error=article.get("error"),
            etag=item.get("etag"), last_modified=item.get("last_modified"),
            body_hash=hashlib.sha256(body).hexdigest()[:32],
            warc_file=(item.get("warc") or {}).get("file"),
            warc_offset=(item.get("warc") or {}).get("offset"))
        return {"kind": "page", "url": item["url"], "page_type": page_type,
                "article_id": article_id, "title": article.get("title")}

    def close_spider(self, spider=None):
        try:
            self._close()
        finally:
            if self._extractor is not None:
                self._extractor.stop()

    def _close(self):
        if self.store is None:
            return
        stats = self.crawler.stats.get_stats()
        # robots.txt bodies fetched this run: cached for the next runs (24 h)
        for mw in getattr(self.crawler.engine.downloader.middleware, "middlewares", []):
            for netloc, robots in getattr(mw, "fetched", {}).items():
                self.store.save_robots(netloc, robots)
        sources = getattr(self.crawler.spider, "sources", {}) or {}
        per_source = {}
        for name in sources:
            prefix = f"giaoban/source/{name}/"
            counters = {k[len(prefix):]: v for k, v in stats.items() if k.startswith(prefix)}
            mine = self.per_source.get(name, self._src(name))
            per_source[name] = {
                "requests": counters.get("requests", 0), "pages": mine["pages"],
                "articles_new": mine["articles_new"],
                "articles_updated": mine["articles_updated"],
                "not_modified": counters.get("not_modified", 0),
                "skipped_known": counters.get("skipped_known", 0), "errors": mine["errors"],
                "listing_pages": counters.get("listing_pages", 0),
                "listing_article_links": counters.get("listing_article_links", 0),
                "date_missing": mine["date_missing"], "extract_errors": mine["extract_errors"]}
        if self.run_id is not None and per_source:
            self.store.save_source_runs(self.run_id, per_source)
        status = "finished" if stats.get("finish_reason", "finished") == "finished" else \
            str(stats.get("finish_reason"))
        self.counts["errors"] = int(stats.get("giaoban/fetch_errors", 0)) + \
            int(stats.get("giaoban/extract_errors", 0))
        summary = (f"{self.counts['pages']} pages, {self.counts['articles_new']} new articles, "
                   f"{self.counts['articles_updated']} updated, {self.counts['errors']} errors")
        if not self.crawler.settings.getint("GIAOBAN_RUN_ID"):
            self.store.finish_run(self.run_id, status, stats, self.counts, summary)
        else:
            self.crawler.stats.set_value("giaoban/counts", dict(self.counts))
        self.store.analyze()  # planner statistics for Datasette's search and facet pages
        self.store.close()
