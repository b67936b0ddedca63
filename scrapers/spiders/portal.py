"""The one generic portal spider. It decides what to fetch; it never reads what a page says.

Sources come from a sources file (data). For each source the spider fetches the listing and
start URLs, then follows links on the source's own host by URL shape (the family profile's
article / listing / print patterns, or generic shapes for unknown CMSs), never into traps
(calendars, language-prefix nesting, session URLs), within depth and page bounds. Every HTML
response goes to the pipelines as a raw page; extraction happens there.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, timezone
from urllib.parse import urlsplit

import scrapy
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import DNSLookupError, TCPTimedOutError, TimeoutError

from aggregator.classify import title_prefilter
from aggregator.extract.detect import TRAP_URL, detect_family, page_type_from_url
from aggregator.extract.profiles import load_profiles
from scrapers.registry import (DEFAULT_SOURCES, Source, SourcesError, load_sources,
                               source_from_url)

__all__ = ["PortalSpider"]

try:  # Scrapy ≥ 2.13 raises its own timeout type
    from scrapy.exceptions import DownloadTimeoutError

    _DOWNLOAD_TIMEOUT: tuple = (DownloadTimeoutError,)
except ImportError:  # pragma: no cover - older Scrapy
    _DOWNLOAD_TIMEOUT = ()

_SKIP_EXT = re.compile(
    r"\.(pdf|docx?|xlsx?|pptx?|zip|rar|7z|jpe?g|png|gif|bmp|webp|svg|mp3|mp4|avi|wmv|flv|"
    r"exe|msi|apk|iso|css|js|ico|xml|rss|txt)(\?|$)", re.IGNORECASE)
_SESSION = re.compile(r"(jsessionid|phpsessid|sessionid|sid)=", re.IGNORECASE)
MAX_URL_LENGTH = 400
MAX_LISTING_PAGES = 60
UNKNOWN_DEPTH = 2  # how far an unprofiled link shape is followed from a start page


def _repeated_segments(path: str) -> bool:
    segs = [s for s in path.split("/") if s]
    counts = Counter(segs)
    return any(c >= 3 for c in counts.values()) or len(segs) > 12


class PortalSpider(scrapy.Spider):
    name = "portals"
    custom_settings: dict = {}

    def __init__(self, sources: str | None = None, source: str | None = None,
                 start_url: str | None = None, max_pages: str | int | None = None,
                 *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sources_path = sources
        self.source_names = [s for s in (source or "").split(",") if s]
        self.start_url_list = [u for u in (start_url or "").split(",") if u]
        self.max_pages = int(max_pages) if max_pages else None
        self.profiles = load_profiles()
        self.sources: dict[str, Source] = {}
        self.families: dict[str, str | None] = {}
        self.pages_per_source: Counter = Counter()
        self.listing_pages: Counter = Counter()
        self.state: dict[str, tuple] = {}
        self.since = None
        self.resuming = False
        self.listing_seen: set[str] = set()

    # -- set-up ------------------------------------------------------------
    def _load(self) -> list[Source]:
        if self.start_url_list:
            srcs = [source_from_url(u) for u in self.start_url_list]
        else:
            path = self.sources_path or self.settings.get("GIAOBAN_SOURCES") or DEFAULT_SOURCES
            srcs = load_sources(path, self.source_names or None)
        for s in srcs:
            self.sources[s.name] = s
            self.families[s.name] = None if s.family in ("auto", "generic") else s.family
        return srcs

    async def start(self):
        try:
            srcs = self._load()
        except SourcesError as exc:
            self.logger.error("giaoban: %s", exc)
            self.crawler.stats.set_value("giaoban/sources_error", str(exc))
            return
        self.state = _load_state(self.settings.get("GIAOBAN_DB"), [s.name for s in srcs])
        # after a crawl that did not finish (killed, crashed), the listings are walked in full
        run_id = self.settings.getint("GIAOBAN_RUN_ID") or getattr(self, "giaoban_run_id", None)
        self.resuming = _previous_run_unfinished(self.settings.get("GIAOBAN_DB"), run_id)
        if self.resuming:
            self.logger.info("giaoban: the previous crawl did not finish: resuming in full")
        since = self.settings.get("GIAOBAN_SINCE")
        self.since = date.fromisoformat(since[:10]) if since else None
        for src in srcs:
            known = any(self.state.get(u) for u in src.listing_urls + src.start_urls)
            for url in src.listing_urls:
                yield self._request(src, url, role="listing", priority=30)
            # a source crawled before is re-entered through its listings only
            if not (known and src.listing_urls) or self.resuming:
                for url in src.start_urls:
                    yield self._request(src, url, role="start", priority=20)
        # recent articles are revisited (conditional GET) to catch edits
        by_host = {s.host: s for s in srcs}
        for url, known in self.state.items():
            if known[0] == "article" and self._should_fetch_known(url):
                src = by_host.get(urlsplit(url).netloc.lower())
                if src is not None:
                    self.crawler.stats.inc_value("giaoban/revisits")
                    yield self._request(src, url, role="article", priority=5)
        # pages that failed on a transient error (timeout, 5xx) are tried again: a listing
        # that now answers 304 would never lead back to them
        for url, known in self.state.items():
            if known[0] == "error" and self._should_retry_failed(known):
                src = by_host.get(urlsplit(url).netloc.lower())
                if src is not None:
                    self.crawler.stats.inc_value("giaoban/retried_failed")
                    profile = self.profiles.get(self.families.get(src.name) or "")
                    role = "article" if page_type_from_url(url, profile) == "article" \
                        else "unknown"
                    yield self._request(src, url, role=role, priority=4)

    def _count(self, src: Source, key: str, n: int = 1) -> None:
        self.crawler.stats.inc_value(f"giaoban/source/{src.name}/{key}", n)

    def _request(self, src: Source, url: str, role: str, priority: int = 0,
                 depth_unknown: int = 0) -> scrapy.Request:
        meta = {"source": src.name, "role": role, "download_slot": src.host,
                "family": self.families.get(src.name),
                "depth_unknown": depth_unknown,
                "autothrottle_dont_adjust_delay": src.download_delay is not None}
        headers = {}
        known = self.state.get(url)
        if known and (role == "article" or not self.resuming):
            # conditional GET: an unchanged page costs a 304 and no extraction
            if known[1]:
                headers["If-None-Match"] = known[1]
            if known[2]:
                headers["If-Modified-Since"] = known[2]
            if headers:
                meta["handle_httpstatus_list"] = [304]
        return scrapy.Request(url, callback=self.parse, errback=self.on_error, priority=priority,
                              headers=headers or None, meta=meta)

    def _should_fetch_known(self, url: str) -> bool:
        """Revisit a known article only while it is recent, and not more often than asked."""
        known = self.state.get(url)
        if not known or known[0] not in ("article", "stub", "print"):
            return True
        revisit_days = self.settings.getfloat("GIAOBAN_REVISIT_DAYS", 14)
        after_hours = self.settings.getfloat("GIAOBAN_REVISIT_AFTER_HOURS", 6)
        now = datetime.now(timezone.utc)
        first_seen, last_seen = _ts(known[4]), _ts(known[3])
        if first_seen is None or (now - first_seen).total_seconds() > revisit_days * 86400:
            return False
        return last_seen is None or (now - last_seen).total_seconds() >= after_hours * 3600

    def _should_retry_failed(self, known: tuple) -> bool:
        """A transient failure (no HTTP status, 5xx, 408, 429) first seen recently enough."""
        status, first_seen = known[6], _ts(known[7])
        if status is not None and not (status >= 500 or status in (408, 429)):
            return False  # 404, 410, 403: the page is gone or forbidden, not flaky
        days = self.settings.getfloat("GIAOBAN_RETRY_FAILED_DAYS", 7)
        return first_seen is not None and \
            (datetime.now(timezone.utc) - first_seen).total_seconds() <= days * 86400

    # -- responses ---------------------------------------------------------
    def parse(self, response: Response):
        src = self.sources[response.meta["source"]]
        self.pages_per_source[src.name] += 1
        self._count(src, "requests")
        if response.status == 304:
            self.crawler.stats.inc_value("giaoban/not_modified")
            self._count(src, "not_modified")
            yield {"kind": "not_modified", "url": response.url, "source": src.name,
                   "status": 304}
            return
        ctype = response.headers.get("Content-Type", b"").decode("latin-1")
        if not isinstance(response, TextResponse) or not re.search(r"html|xml", ctype or "html",
                                                                   re.I):
            self.crawler.stats.inc_value("giaoban/skipped_not_html")
            yield {"kind": "skipped", "url": response.url, "status": response.status,
                   "source": src.name, "reason": f"not HTML ({ctype or 'no content type'})"}
            return
        if self.families.get(src.name) is None and src.family in ("auto", "generic"):
            try:
                family, reasons = detect_family(response.text[:200000], response.url,
                                                _root(response), self.profiles)
            except Exception:  # detection must never stop a crawl
                family, reasons = None, []
            if family:
                self.families[src.name] = family
                self.logger.info("giaoban: %s looks like CMS family %s (%s)", src.name, family,
                                 ", ".join(reasons))
        yield {
            "kind": "page", "url": response.url, "status": response.status,
            "source": src.name, "body": response.body,
            "content_type": ctype or None,
            "etag": response.headers.get("ETag", b"").decode("latin-1") or None,
            "last_modified": response.headers.get("Last-Modified", b"").decode("latin-1") or None,
            "fetched_at": datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds"),
            "redirect_urls": list(response.meta.get("redirect_urls", [])),
            "role": response.meta.get("role"),
            "warc": response.meta.get("warc"),
        }
        yield from self.follow(response, src)

    def follow(self, response: Response, src: Source):
        if self.max_pages and sum(self.pages_per_source.values()) >= self.max_pages:
            return
        if src.max_pages and self.pages_per_source[src.name] >= src.max_pages:
            return
        profile = self.profiles.get(self.families.get(src.name) or "")
        here = page_type_from_url(response.url, profile)
        role = response.meta.get("role")
        depth_unknown = response.meta.get("depth_unknown", 0)
        seen: set[str] = set()
        on_listing = role == "listing" or here == "listing"
        article_links = known_links = 0
        old_items = dated_items = 0
        listing_requests = []
        if on_listing:
            self._count(src, "listing_pages")
        for anchor in response.css("a[href]"):
            href = anchor.attrib.get("href", "")
            url = self._clean_link(response, href)
            if not url or url in seen or not self._on_host(url, src):
                continue
            seen.add(url)
            kind = page_type_from_url(url, profile)
            if kind in ("calendar", "print", "home"):
                self.crawler.stats.inc_value(f"giaoban/links_skipped_{kind}")
                continue
            if kind == "article":
                article_links += 1
                if on_listing and self.since is not None:
                    dated_items += 1 if _item_date(anchor) else 0
                    d = _item_date(anchor)
                    old_items += 1 if d and d < self.since else 0
                if url in self.state and not self._should_fetch_known(url):
                    known_links += 1
                    self.crawler.stats.inc_value("giaoban/skipped_known")
                    self._count(src, "skipped_known")
                    continue
                if src.prefilter and role in ("listing", "start"):
                    text = " ".join(anchor.css("::text").getall()) or \
                        anchor.attrib.get("title", "")
                    if text.strip() and not title_prefilter(text):
                        self.crawler.stats.inc_value("giaoban/prefilter_skipped")
                        continue
                yield self._request(src, url, "article", priority=10)
            elif kind == "listing":
                if here == "article" and role == "article":
                    continue  # pagination is followed from listings, not from articles
                if self.listing_pages[src.name] >= MAX_LISTING_PAGES:
                    self.crawler.stats.inc_value("giaoban/listing_cap_reached")
                    continue
                listing_requests.append(url)
            else:
                # an unknown shape: maybe an article of an unprofiled CMS, maybe chrome
                if depth_unknown + 1 > UNKNOWN_DEPTH:
                    continue
                if role == "article" and profile is not None:
                    continue
                if url in self.state and self.state[url][0] not in (None, "error"):
                    continue  # a known page of an unknown shape: it was classified already
                yield self._request(src, url, "unknown", priority=0,
                                    depth_unknown=depth_unknown + 1)
        if on_listing:
            self._count(src, "listing_article_links", article_links)
        # stop paginating where nothing is new (K consecutive known items) or items are older
        # than --since; otherwise follow the listing's other pages
        k = self.settings.getint("GIAOBAN_KNOWN_STOP", 10)
        stop = (article_links and known_links == article_links and
                (known_links >= min(k, article_links)))
        stop = stop or bool(dated_items and old_items == dated_items)
        stop = stop and not self.resuming
        if stop and listing_requests:
            self.crawler.stats.inc_value("giaoban/pagination_stopped")
            return
        for url in listing_requests:
            if url in self.listing_seen:
                continue  # menus repeat the same listing links on every page: count once
            self.listing_seen.add(url)
            if self.listing_pages[src.name] >= MAX_LISTING_PAGES:
                self.crawler.stats.inc_value("giaoban/listing_cap_reached")
                break
            self.listing_pages[src.name] += 1
            yield self._request(src, url, "listing", priority=30)

    def _clean_link(self, response: Response, href: str) -> str | None:
        href = (href or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
            return None
        try:
            url = response.urljoin(href)
        except ValueError:
            return None
        url = url.split("#", 1)[0]
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return None
        if len(url) > MAX_URL_LENGTH or _SKIP_EXT.search(parts.path) or _SESSION.search(url):
            return None
        if TRAP_URL.search(url) or _repeated_segments(parts.path):
            self.crawler.stats.inc_value("giaoban/links_skipped_trap")
            return None
        return url

    @staticmethod
    def _on_host(url: str, src: Source) -> bool:
        netloc = urlsplit(url).netloc.lower()
        return netloc.removeprefix("www.") == src.host.removeprefix("www.")

    # -- failures ----------------------------------------------------------
    def on_error(self, failure):
        request = failure.request
        src_name = request.meta.get("source")
        if src_name in self.sources:
            self._count(self.sources[src_name], "requests")
        status, reason = None, failure.getErrorMessage()
        if failure.check(HttpError):
            status = failure.value.response.status
            reason = f"HTTP {status}"
        elif failure.check(DNSLookupError):
            reason = "DNS lookup failed"
        elif failure.check(TimeoutError, TCPTimedOutError, *_DOWNLOAD_TIMEOUT):
            reason = "timeout"
        if "robots.txt" in reason:
            self.crawler.stats.inc_value("giaoban/robots_forbidden")
            self.logger.info("giaoban: %s %s: %s", src_name, request.url, reason)
            yield {"kind": "skipped", "url": request.url, "status": None, "source": src_name,
                   "reason": reason}
            return
        self.crawler.stats.inc_value("giaoban/fetch_errors")
        self.logger.warning("giaoban: %s %s: %s", src_name, request.url, reason)
        yield {"kind": "error", "url": request.url, "status": status, "source": src_name,
               "reason": reason}


def _load_state(db_path: str | None, sources: list[str]) -> dict[str, tuple]:
    """What earlier runs saw (read-only: the pipeline is the one writer)."""
    import sqlite3
    from pathlib import Path

    if not db_path or not Path(db_path).exists():
        return {}
    try:
        con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10)
        try:
            rows = con.execute(
                "SELECT p.url, p.page_type, p.etag, p.last_modified, p.last_seen, a.first_seen, "
                "a.published, p.status, p.first_seen FROM pages p "
                "LEFT JOIN articles a ON a.id = p.article_id "
                f"WHERE p.source IN ({','.join('?' * len(sources))})", sources).fetchall()
        finally:
            con.close()
    except sqlite3.Error:
        return {}
    return {r[0]: tuple(r[1:]) for r in rows}


def _previous_run_unfinished(db_path: str | None, run_id: int | None) -> bool:
    """True when the crawl before this one left its run 'running' (SIGKILL, power loss)."""
    import sqlite3
    from pathlib import Path

    if not db_path or not Path(db_path).exists():
        return False
    try:
        con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10)
        try:
            row = con.execute("SELECT status FROM crawl_runs WHERE id < ? ORDER BY id DESC "
                              "LIMIT 1", [run_id or 1 << 62]).fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return False
    return bool(row) and row[0] not in ("finished",)


def _ts(value: str | None):
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def _item_date(anchor) -> date | None:
    """The date printed next to a listing item (in the link's parent block), if any."""
    from aggregator.dates import find_dates

    parent = anchor.xpath("..")
    text = " ".join(parent.css("::text").getall())[:400] if parent else ""
    found = find_dates(text)
    return found[0][1].day if found else None


def _root(response: Response):
    import lxml.html

    try:
        return lxml.html.document_fromstring(response.text[:500000] or "<html></html>")
    except Exception:
        return lxml.html.document_fromstring("<html></html>")
