"""Item pipeline: raw page → extract_article (pure) → the one writer (db.store).

The spider hands over raw responses; this is where a page becomes an article row, or a `pages`
row saying why it is not one. A page that breaks extraction is logged and counted, never
allowed to stop the crawl.
"""

from __future__ import annotations

import hashlib
import logging

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

    def _sources_registered(self):
        spider = self.spider
        if not getattr(self, "_registered", False) and getattr(spider, "sources", None):
            self.store.upsert_sources([s.as_dict() for s in spider.sources.values()],
                                      registry=str(getattr(spider, "sources_path", "") or ""))
            self._registered = True

    def process_item(self, item, spider=None):
        self._sources_registered()
        kind = item.get("kind")
        stats = self.crawler.stats
        if kind in ("error", "skipped"):
            self.counts["errors"] += kind == "error"
            self.store.save_page(item["url"], source=item.get("source"),
                                 status=item.get("status"), page_type=kind,
                                 run_id=self.run_id, error=item.get("reason"))
            return item
        self.counts["pages"] += 1
        body = item["body"]
        source = item["source"]
        src = self.spider.sources.get(source)
        try:
            family = self.spider.families.get(source) if hasattr(self.spider, "families") \
                else None
            article = extract_article(body, item["url"], item.get("content_type"),
                                      item.get("fetched_at"), family=family)
        except Exception as exc:  # extraction is meant never to raise; if it does, say so
            logger.exception("giaoban: extraction failed on %s", item["url"])
            stats.inc_value("giaoban/extract_errors")
            self.counts["errors"] += 1
            self.store.save_page(item["url"], source=source, status=item.get("status"),
                                 page_type="error", run_id=self.run_id,
                                 error=f"extraction failed: {exc.__class__.__name__}: {exc}")
            return {"kind": "page", "url": item["url"], "page_type": "error"}
        page_type = article.get("page_type")
        stats.inc_value(f"giaoban/page_type/{page_type}")
        if article.get("error"):
            stats.inc_value("giaoban/bad_pages")
        article_id = None
        if page_type == "article":
            if article.get("published") is None:
                stats.inc_value("giaoban/date_missing")
            source_info = {"province": src.province if src else None,
                           "locality": src.locality if src else None}
            article_id, action = self.store.save_article(
                article, source=source, run_id=self.run_id, source_info=source_info)
            stats.inc_value(f"giaoban/articles_{action}")
            if action == "new":
                self.counts["articles_new"] += 1
            elif action == "updated":
                self.counts["articles_updated"] += 1
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
            body_hash=hashlib.sha256(body).hexdigest()[:32])
        return {"kind": "page", "url": item["url"], "page_type": page_type,
                "article_id": article_id, "title": article.get("title")}

    def close_spider(self, spider=None):
        if self.store is None:
            return
        stats = self.crawler.stats.get_stats()
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
        self.store.close()
