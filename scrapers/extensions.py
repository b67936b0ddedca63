"""Reactor health: how long the event loop went without running (the crawl's own stall meter).

Everything Scrapy does — downloads, timeouts, robots.txt, the item pipeline's writes — runs on
one reactor thread; work that holds it (a slow page's extraction) stalls every download at
once. A 100 ms heartbeat records the longest stall as `giaoban/reactor_lag_max_ms` in the run's
stats (crawl_runs.stats), so an operator can tell a slow portal from a blocked crawler.
"""

from __future__ import annotations

import time

from scrapy import signals
from twisted.internet import task

INTERVAL = 0.1  # seconds between heartbeats


class ReactorLag:
    def __init__(self, crawler):
        self.stats = crawler.stats
        self.loop: task.LoopingCall | None = None
        self.last = 0.0
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def opened(self, spider=None):
        self.last = time.monotonic()
        self.stats.set_value("giaoban/reactor_lag_max_ms", 0)
        self.loop = task.LoopingCall(self.beat)
        self.loop.start(INTERVAL, now=False)

    def beat(self):
        now = time.monotonic()
        lag_ms = int((now - self.last - INTERVAL) * 1000)
        self.last = now
        self.stats.max_value("giaoban/reactor_lag_max_ms", max(lag_ms, 0))

    def closed(self, spider=None, reason=None):
        if self.loop is not None and self.loop.running:
            self.loop.stop()
