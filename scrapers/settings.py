"""Scrapy settings for giaoban: polite by default, overridable per source (see registry.py)."""

BOT_NAME = "giaoban"
SPIDER_MODULES = ["scrapers.spiders"]
NEWSPIDER_MODULE = "scrapers.spiders"

# Identify ourselves and obey robots.txt.
USER_AGENT = ("giaoban/0.1 (+https://github.com/giaoban/giaoban; archive of Vietnamese "
              "local-government meeting news)")
ROBOTSTXT_OBEY = True

# One request at a time per host, a delay, and AutoThrottle on top.
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 1.0
RANDOMIZE_DOWNLOAD_DELAY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# Bounded everything: depth, size, time, redirects, retries.
DEPTH_LIMIT = 6
DEPTH_PRIORITY = 0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
REDIRECT_MAX_TIMES = 5
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
DNS_TIMEOUT = 20

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "scrapers.middlewares.CachedRobotsTxtMiddleware": 100,
    # sees redirects before RedirectMiddleware (600): off-host, loops, non-HTTP targets refused
    "scrapers.guard.HostGuardMiddleware": 610,
    # first to see every response as received (before redirects, retries, decompression)
    "scrapers.middlewares.WarcWriterMiddleware": 950,
}

ITEM_PIPELINES = {
    "scrapers.pipelines.StorePipeline": 300,
}
EXTENSIONS = {
    "scrapers.extensions.ReactorLag": 500,  # giaoban/reactor_lag_max_ms in the run's stats
}

# giaoban's own settings
GIAOBAN_DB = "data/giaoban.db"
GIAOBAN_SOURCES = None  # default: scrapers/sources/registry.yaml
GIAOBAN_WARC = True              # archive every response into WARC files
GIAOBAN_WARC_DIR = None          # default: <db folder>/warc/run-<id>/
GIAOBAN_ROBOTS_CACHE_HOURS = 24  # RFC 9309 allows up to 24 h
GIAOBAN_REVISIT_DAYS = 14        # articles first seen this recently are revisited for edits …
GIAOBAN_REVISIT_AFTER_HOURS = 6  # … at most this often (conditional GET)
GIAOBAN_KNOWN_STOP = 10          # stop paginating after K consecutive known items
GIAOBAN_SINCE = None             # stop paginating at listing items older than this date
GIAOBAN_RETRY_FAILED_DAYS = 7    # pages that failed on a transient error are retried this long

REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"

# trafilatura logs a warning for every page it declines; the pipeline records page types itself
import logging as _logging  # noqa: E402

_logging.getLogger("trafilatura").setLevel(_logging.ERROR)
_logging.getLogger("trafilatura.core").setLevel(_logging.ERROR)
