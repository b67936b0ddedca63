"""Live progress on a terminal: pages/s, items, errors — every 2 s, on one line of stderr.

Enabled by `giaoban crawl` only when stderr is a TTY, so cron and systemd logs stay quiet.
"""

from __future__ import annotations

import sys
import time

from scrapy import signals
from twisted.internet import task


class Progress:
    def __init__(self, crawler):
        self.crawler = crawler
        self.started = time.monotonic()
        self.loop = None

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler)
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def opened(self, spider=None):
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(2.0, now=False)

    def tick(self):
        s = self.crawler.stats.get_stats()
        pages = s.get("response_received_count", 0)
        rate = pages / max(time.monotonic() - self.started, 1e-6)
        line = (f"\r{pages} pages ({rate:.1f}/s), {s.get('item_scraped_count', 0)} items, "
                f"{s.get('giaoban/articles_new', 0)} new articles, "
                f"{s.get('giaoban/not_modified', 0)} unchanged, "
                f"{s.get('giaoban/fetch_errors', 0)} errors ")
        sys.stderr.write(line)
        sys.stderr.flush()

    def closed(self, spider=None):
        if self.loop and self.loop.running:
            self.loop.stop()
        sys.stderr.write("\n")
