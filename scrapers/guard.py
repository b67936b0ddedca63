"""Keep a crawl on its configured hosts and out of redirect loops (issue 10).

The spider only follows links on a source's own host, but a server decides where a redirect
goes: a 30x or a `<meta http-equiv=refresh>` can point at another host (an open redirect), at
`javascript:`, or back at itself. Scrapy's redirect middlewares would follow the first, and its
duplicate filter silently drops a loop, so the page would vanish without a reason.

`HostGuardMiddleware` sits just outside RedirectMiddleware (610 > 600): it sees every redirect
response first and refuses, with a reason the spider's errback stores in `pages.error`:

* ``redirect off host: <from> → <to>`` — the target is not the source's host (host:port);
* ``redirect loop: a → b → a`` — the target was already on this request's redirect chain;
* ``redirect to a non-HTTP URL`` / ``redirect to an invalid URL``.

Every request of a source is checked again before download (a redirect built by a middleware
that runs after this one, e.g. a meta refresh in a compressed body, is still refused).

It also gives a reason to the download failures Scrapy raises without one (a body cut past
DOWNLOAD_MAXSIZE, a connection that closed before Content-Length bytes, Twisted's failure
lists), so `pages.error` never stays empty; the exception object and its retries are unchanged.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse

__all__ = ["HostGuardMiddleware"]

_REDIRECT_STATUSES = {301, 302, 303, 307, 308}
_TWISTED_FAILURE = re.compile(r"Failure [\w.]*?(\w+): (.*?)>(?:,|\]|$)")


def _reason(exc: Exception, maxsize: int) -> str | None:
    """A readable reason for a download exception whose message is empty or a repr."""
    name = type(exc).__name__
    text = str(exc)
    if name == "DownloadCancelledError" and not text:
        return (f"download cancelled: body larger than DOWNLOAD_MAXSIZE ({maxsize} bytes) "
                f"or the crawl stopping")
    if name == "ResponseDataLossError" and not text:
        return "data loss: the connection closed before the announced Content-Length"
    if "twisted.python.failure.Failure" in text:
        found = _TWISTED_FAILURE.findall(text)
        if found:
            return "download failed: " + "; ".join(f"{kind}: {msg}" for kind, msg in found)
    if not text:
        return name
    return None


def _netloc(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a port out of range)
    except ValueError:
        return None
    return parts.netloc.lower().removeprefix("www.")


class HostGuardMiddleware:
    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _host(self, request) -> str | None:
        """The host:port of the request's source, if the spider knows it."""
        spider = getattr(self.crawler, "spider", None)
        sources = getattr(spider, "sources", None) or {}
        src = sources.get(request.meta.get("source"))
        return src.host.lower().removeprefix("www.") if src is not None else None

    def _refuse(self, kind: str, message: str):
        self.stats.inc_value(f"giaoban/redirect_refused/{kind}")
        raise IgnoreRequest(message)

    def process_request(self, request, spider=None):
        host = self._host(request)
        if host is not None and _netloc(request.url) != host:
            origin = (request.meta.get("redirect_urls") or ["?"])[0]
            self._refuse("off_host", f"redirect off host: {origin} → {request.url}"
                         if request.meta.get("redirect_urls") else
                         f"off host: {request.url} is not on {host}")
        return None

    def process_exception(self, request, exception, spider=None):
        """Name what went wrong; the failure then goes on (to RetryMiddleware, the errback)."""
        reason = _reason(exception, self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))
        if reason:
            exception.args = (reason,)
        return None

    def process_response(self, request, response, spider=None):
        host = self._host(request)
        if host is None or request.meta.get("dont_redirect"):
            return response
        target = None
        if response.status in _REDIRECT_STATUSES and "Location" in response.headers \
                and response.status not in request.meta.get("handle_httpstatus_list", ()) \
                and not request.meta.get("handle_httpstatus_all"):
            location = response.headers["Location"].decode("latin-1").strip()
            try:
                target = urljoin(request.url, location)
            except ValueError:
                self._refuse("invalid", f"redirect to an invalid URL: {location[:200]}")
        elif isinstance(response, HtmlResponse) and b"refresh" in response.body[:65536].lower():
            from scrapy.utils.response import get_meta_refresh

            try:
                interval, url = get_meta_refresh(response, ignore_tags=("script", "noscript"))
            except ValueError:
                interval, url = None, None
            maxdelay = self.crawler.settings.getint("METAREFRESH_MAXDELAY", 100)
            if url and interval is not None and interval < maxdelay:
                target = url
        if target is None:
            return response
        scheme = target.split(":", 1)[0].lower() if ":" in target else ""
        if scheme not in ("http", "https"):
            self._refuse("scheme", f"redirect to a non-HTTP URL: {target[:200]}")
        netloc = _netloc(target)
        if netloc is None:
            self._refuse("invalid", f"redirect to an invalid URL: {target[:200]}")
        if netloc != host:
            self._refuse("off_host", f"redirect off host: {request.url} → {target[:200]}")
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if target.split("#", 1)[0] in chain:
            self._refuse("loop", "redirect loop: " + " → ".join([*chain, target]))
        return response
