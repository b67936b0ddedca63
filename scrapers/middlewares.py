"""Downloader middlewares: the raw-page archive (WARC) and a robots.txt cache.

* `WarcWriterMiddleware` writes every response the crawler receives — status line, headers and
  body exactly as received, redirects, errors and robots.txt included — into gzipped WARC files
  (warcio), one set per crawl run, and tells the pipeline where each record landed so the
  database can point at it. `giaoban reprocess` re-extracts from these files without the network.
* `CachedRobotsTxtMiddleware` is Scrapy's robots.txt middleware with a 24-hour cache in SQLite
  (RFC 9309 §2.4 allows caching up to 24 hours), so a crawl several times a day does not refetch
  every portal's robots.txt. Fetched bodies are handed to the pipeline, which stores them.
"""

from __future__ import annotations

import io
import logging
import os
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

logger = logging.getLogger("giaoban.warc")

__all__ = ["WarcWriterMiddleware", "CachedRobotsTxtMiddleware", "warc_dir_for"]

MAX_WARC_BYTES = 200 * 1024 * 1024


def warc_dir_for(db_path: str, run_id: int | str) -> Path:
    return Path(db_path).resolve().parent / "warc" / f"run-{run_id}"


class WarcWriterMiddleware:
    def __init__(self, crawler):
        self.crawler = crawler
        settings = crawler.settings
        self.enabled = settings.getbool("GIAOBAN_WARC", True)
        run = settings.get("GIAOBAN_RUN_ID") or datetime.now(timezone.utc).strftime(
            "adhoc-%Y%m%dT%H%M%S")
        self.run = run
        self.directory = Path(settings.get("GIAOBAN_WARC_DIR") or
                              warc_dir_for(settings.get("GIAOBAN_DB"), run))
        self.part = 0
        self.fh = None
        self.writer = None

    @classmethod
    def from_crawler(cls, crawler):
        mw = cls(crawler)
        from scrapy import signals

        crawler.signals.connect(mw.close, signal=signals.spider_closed)
        return mw

    def _open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        while True:
            path = self.directory / f"giaoban-{self.run}-{self.part:05d}.warc.gz"
            if not path.exists():
                break
            self.part += 1
        self.path = path
        self.fh = open(path, "ab")
        self.writer = WARCWriter(self.fh, gzip=True)

    def process_response(self, request, response, spider=None):
        if not self.enabled:
            return response
        try:
            self._write(request, response)
        except Exception:  # the archive must never stop the crawl
            logger.exception("giaoban: could not archive %s", response.url)
            self.crawler.stats.inc_value("giaoban/warc_errors")
        return response

    def _write(self, request, response) -> None:
        if self.writer is None or self.fh.tell() > MAX_WARC_BYTES:
            if self.fh:
                self.fh.close()
                self.part += 1
            self._open()
        reason = {200: "OK", 301: "Moved Permanently", 302: "Found", 304: "Not Modified",
                  404: "Not Found"}.get(response.status, "")
        headers = []
        for name, values in response.headers.items():
            for v in values:
                headers.append((name.decode("latin-1"), v.decode("latin-1")))
        http_headers = StatusAndHeaders(f"{response.status} {reason}".strip(), headers,
                                        protocol="HTTP/1.1")
        warc_headers = {"WARC-Giaoban-Source": str(request.meta.get("source") or ""),
                        "WARC-Giaoban-Family": str(request.meta.get("family") or ""),
                        "WARC-Giaoban-Run": str(self.run)}
        record = self.writer.create_warc_record(
            response.url, "response", payload=io.BytesIO(response.body),
            http_headers=http_headers, warc_headers_dict=warc_headers)
        offset = self.fh.tell()
        self.writer.write_record(record)
        self.fh.flush()
        request.meta["warc"] = {"file": str(self.path), "offset": offset}
        self.crawler.stats.inc_value("giaoban/warc_records")

    def close(self, spider=None) -> None:
        if self.fh:
            self.fh.flush()
            os.fsync(self.fh.fileno())
            self.fh.close()
            self.fh = None


class CachedRobotsTxtMiddleware(RobotsTxtMiddleware):
    def __init__(self, crawler):
        super().__init__(crawler)
        self.max_age = crawler.settings.getfloat("GIAOBAN_ROBOTS_CACHE_HOURS", 24.0)
        self.db_path = crawler.settings.get("GIAOBAN_DB")
        self.fetched: dict[str, bytes] = {}  # the pipeline persists these

    def _cached(self, netloc: str) -> bytes | None:
        if not self.db_path or not Path(self.db_path).exists() or self.max_age <= 0:
            return None
        try:
            con = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=5)
            try:
                row = con.execute(
                    "SELECT body FROM robots_cache WHERE netloc = ? AND "
                    "julianday('now') - julianday(fetched) < ? / 24.0",
                    [netloc, self.max_age]).fetchone()
            finally:
                con.close()
        except sqlite3.Error:
            return None
        return row[0] if row else None

    async def robot_parser(self, request):
        netloc = urlparse_cached(request).netloc
        if netloc not in self._parsers:
            body = self._cached(netloc)
            if body is not None:
                self._parsers[netloc] = build_from_crawler(self._parserimpl, self.crawler, body)
                self._stats.inc_value("giaoban/robots_cached")
        return await super().robot_parser(request)

    async def _parse_robots(self, response, netloc, request):
        if response.status == 200:
            self.fetched[netloc] = response.body
        await super()._parse_robots(response, netloc, request)
