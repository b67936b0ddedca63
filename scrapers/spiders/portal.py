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
from datetime import datetime, timezone
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
        for src in srcs:
            for url in src.listing_urls:
                yield self._request(src, url, role="listing", priority=30)
            for url in src.start_urls:
                yield self._request(src, url, role="start", priority=20)

    def _request(self, src: Source, url: str, role: str, priority: int = 0,
                 depth_unknown: int = 0) -> scrapy.Request:
        return scrapy.Request(
            url, callback=self.parse, errback=self.on_error, priority=priority,
            meta={"source": src.name, "role": role, "download_slot": src.host,
                  "depth_unknown": depth_unknown,
                  "autothrottle_dont_adjust_delay": src.download_delay is not None},
        )

    # -- responses ---------------------------------------------------------
    def parse(self, response: Response):
        src = self.sources[response.meta["source"]]
        self.pages_per_source[src.name] += 1
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
                self.listing_pages[src.name] += 1
                yield self._request(src, url, "listing", priority=30)
            else:
                # an unknown shape: maybe an article of an unprofiled CMS, maybe chrome
                if depth_unknown + 1 > UNKNOWN_DEPTH:
                    continue
                if role == "article" and profile is not None:
                    continue
                yield self._request(src, url, "unknown", priority=0,
                                    depth_unknown=depth_unknown + 1)

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
        status, reason = None, failure.getErrorMessage()
        if failure.check(HttpError):
            status = failure.value.response.status
            reason = f"HTTP {status}"
        elif failure.check(DNSLookupError):
            reason = "DNS lookup failed"
        elif failure.check(TimeoutError, TCPTimedOutError):
            reason = "timeout"
        self.crawler.stats.inc_value("giaoban/fetch_errors")
        self.logger.warning("giaoban: %s %s: %s", src_name, request.url, reason)
        yield {"kind": "error", "url": request.url, "status": status, "source": src_name,
               "reason": reason}


def _root(response: Response):
    import lxml.html

    try:
        return lxml.html.document_fromstring(response.text[:500000] or "<html></html>")
    except Exception:
        return lxml.html.document_fromstring("<html></html>")
