"""Which CMS family made this page, and is it an article at all — from URL shapes and markup."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

from .profiles import Profile

__all__ = ["detect_family", "page_type_from_url", "LISTING_URL", "TRAP_URL"]

# URL shapes that are never an article page, whatever the family.
LISTING_URL = re.compile(
    r"/(tag|tags|the|chu-de|category|categories|chuyen-muc|danh-muc|author|tim-kiem|search)"
    r"(/|$|\?)|[?&](page|pageindex|p|trang|limitstart|start|_101_cur|cur)=\d+|/trang-\d+\.html$|"
    r"/page/\d+/?$|/feed/?$|\.rss$|/rss(/|$)",
    re.IGNORECASE,
)
TRAP_URL = re.compile(
    r"lich-cong-tac|lich-lam-viec|calendar|[?&](ngay|date|day|month|year|thang|nam)=|"
    r"/c/portal/update_language|(/(en|vi|fr|es|fi)){2,}(/|$)|\.html/(en|vi)(/|$)",
    re.IGNORECASE,
)


def detect_family(html: str, url: str, root, profiles: dict[str, Profile]) -> tuple[str | None, list[str]]:
    """Best-scoring family (None when no profile reaches 2 points) and the cues that fired."""
    head = html[:200000]
    generator = ""
    for el in root.iter("meta"):
        if (el.get("name") or "").lower() == "generator":
            generator = el.get("content") or ""
            break
    best, best_score, best_reasons = None, 0, []
    for family, p in profiles.items():
        if family == "generic":
            continue
        score, reasons = 0, []
        for rx in p.detect_url:
            if rx.search(url):
                score += 2
                reasons.append(f"url:{rx.pattern}")
                break
        for marker in p.detect_html:
            if marker in head:
                score += p.detect_weight
                reasons.append(f"html:{marker}")
        for rx in p.detect_generator:
            if generator and rx.search(generator):
                score += 3
                reasons.append(f"generator:{generator}")
        # a child profile (a vendor product built on its parent's CMS) wins a tie with its
        # parent: it carries every parent cue plus its own
        if score > best_score or (score == best_score and score and best is not None
                                  and p.parent == best):
            best, best_score, best_reasons = family, score, reasons
    if best_score < 2:
        return None, []
    return best, best_reasons


def page_type_from_url(url: str, profile: Profile | None) -> str | None:
    """'home' | 'listing' | 'calendar' | 'print' | 'article' from the URL alone, or None."""
    parts = urlsplit(url)
    path = parts.path or "/"
    if TRAP_URL.search(url):
        return "calendar"
    if profile:
        if profile.matches(profile.print_url, url):
            return "print"
        if profile.matches(profile.not_article_url, url):
            return "listing"
        if profile.matches(profile.listing_url, url):
            return "listing"
        if profile.matches(profile.article_url, url):
            return "article"
    if path in ("", "/") and not parts.query:
        return "home"
    if re.search(r"/(default|index|trang-chu|home)(\.aspx|\.html?|\.php)?/?$", path, re.I) and \
            not parts.query:
        return "home"
    query = dict(parse_qsl(parts.query))
    if LISTING_URL.search(url) and not any(k.lower() in ("itemid", "newsid", "id", "ddocname", "p")
                                           for k in query):
        return "listing"
    return None
