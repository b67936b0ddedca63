"""Canonical article URLs: one spelling per article, so re-crawls and URL variants upsert.

Rules: lower-case scheme and host, no default port, no fragment, no tracking or session
parameters, Liferay's `redirect=` / `inheritRedirect=` dropped, the remaining query sorted,
"www." kept as served (hosts differ in what they serve) but ignored by `url_key`. A
`<link rel=canonical>` wins when it points to the same site and is not the home page.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urljoin, urlsplit, urlunsplit

__all__ = ["canonicalize", "url_key", "same_site", "TRACKING_PARAMS"]

TRACKING_PARAMS = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|msclkid|zarsrc|zbclid|_ga|_gl|mc_cid|mc_eid|ref|referrer|"
    r"share|from|src|source|igshid|jsessionid|phpsessid|sid|sessionid|session_id|"
    r"asp\.net_sessionid|redirect|inheritredirect|_101_redirect|p_p_auth|doasuserid|"
    r"languageid|fontsize|print)$",
    re.IGNORECASE,
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _host(host: str) -> str:
    return host.lower().rstrip(".")


def _port(parts) -> int | None:
    try:
        return parts.port
    except ValueError:  # "host:99999999", "host:abc": no port anyone can use
        return None


def same_site(a: str, b: str) -> bool:
    try:
        ha, hb = urlsplit(a), urlsplit(b)
        hosts = (ha.hostname or "", hb.hostname or "")
    except ValueError:
        return False
    strip = lambda h: _host(h or "").removeprefix("www.")  # noqa: E731
    return strip(hosts[0]) == strip(hosts[1]) and _port(ha) == _port(hb)


def _clean(url: str) -> str:
    """Never raises: a URL urllib cannot split ("http://[::1") comes back stripped, as is."""
    try:
        parts = urlsplit(url.strip())
        host = _host(parts.hostname or "")
    except ValueError:
        return url.strip()
    scheme = (parts.scheme or "http").lower()
    port = _port(parts)
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    path = parts.path or "/"
    path = re.sub(r";jsessionid=[^/?#]*", "", path, flags=re.IGNORECASE)
    path = quote(unquote(path), safe="/:@!$&'()*+,;=-._~%")
    path = re.sub(r"/{2,}", "/", path)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not TRACKING_PARAMS.match(k)]
    query.sort()
    return urlunsplit((scheme, netloc, path, urlencode(query, doseq=True), ""))


def canonicalize(url: str, canonical_href: str | None = None, profile=None) -> str:
    """The canonical form of `url`, honouring a same-site rel=canonical."""
    base = _clean(url)
    if canonical_href:
        try:
            target = _clean(urljoin(url, canonical_href.strip()))
            path = urlsplit(target).path
        except ValueError:  # a broken rel=canonical is ignored, never fatal
            return base
        if same_site(target, url) and path not in ("", "/") and not re.search(
                r"/(default|index|trang-chu|home)(\.\w+)?$", path, re.I):
            return target
    return base


def url_key(url: str) -> str:
    """Scheme- and www-less key, for matching http/https and www variants of one URL."""
    try:
        parts = urlsplit(_clean(url))
    except ValueError:
        return url.strip()
    host = (parts.netloc or "").removeprefix("www.")
    path = parts.path.rstrip("/") or "/"
    return f"{host}{path}" + (f"?{parts.query}" if parts.query else "")
