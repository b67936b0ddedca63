"""extract_article(body, url, content_type, fetched_at) -> Article JSON. Pure: no I/O.

Order of work: decode → parse → drop page chrome → detect the CMS family → page type → title →
date → content element (profile selectors, else the generic finder) → paragraphs and images →
Vietnamese cleanup → byline → normalise → canonical URL → classify. Every field is filled even
for pages that are not articles, so callers can log why a page was not stored.
"""

from __future__ import annotations

import json
from functools import lru_cache
import re
from datetime import date, datetime
from urllib.parse import urlsplit

import lxml.html
from lxml import etree

from ..canonical import canonicalize
from ..charset import decode_body
from ..classify import classify_article
from ..dates import ParsedDate, find_dates, parse_date
from ..normalize import normalize_text
from .blocks import Block, Image, element_blocks
from .cleanup import RULES, clean_blocks, split_byline
from .detect import detect_family, page_type_from_url
from .generic import generic_content, refine_content
from .profiles import Profile, load_profiles

__all__ = ["extract_article", "MAX_BODY_BYTES"]

MAX_BODY_BYTES = 8 * 1024 * 1024  # larger responses are cut (and said so) before parsing
MAX_MARKUP_SHARE = 0.25  # a "text" more than this share tags and entities is leaked markup
_META_DATE_NAMES = (
    "article:published_time", "og:published_time", "datepublished", "pubdate", "publishdate",
    "dc.date.issued", "dc.date", "date", "dcterms.created", "article:modified_time",
)
_CHROME_ATTR = re.compile(
    r"counter|thongke|thong-ke|thong_ke|visitor|online|statistic|luot-truy-cap|clock|"
    r"egov_date|egov_clock|datetime-now|date-now|header-date|weather|thoitiet|marquee|ticker",
    re.IGNORECASE,
)
_TITLE_SPLIT = re.compile(r"\s+[-|–—:»]\s+")


def _hostname(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:  # "http://[::1": not a URL anyone can fetch, but never a crash
        return ""


# What a file starts with when it is not a web page at all (served as text/html anyway).
_MAGIC = ((b"\x89PNG", "PNG image"), (b"\xff\xd8\xff", "JPEG image"), (b"GIF8", "GIF image"),
          (b"%PDF-", "PDF document"), (b"PK\x03\x04", "ZIP archive"), (b"\x1f\x8b", "gzip data"),
          (b"\x7fELF", "executable"), (b"MZ", "executable"), (b"Rar!", "RAR archive"),
          (b"\xd0\xcf\x11\xe0", "Office document"), (b"wOFF", "web font"),
          (b"\x00\x00\x00", "media file"))


def _binary_reason(body: bytes, text: str) -> str | None:
    """Why these bytes are no web page (a file served as text/html), or None."""
    head = body.lstrip()[:8]
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return f"binary content ({what}), not HTML"
    sample = text[:4096]
    control = sum(1 for ch in sample if (ch < " " and ch not in "\t\n\r\f") or ch == "\ufffd")
    if sample and control / len(sample) > 0.05:
        return f"binary content ({control} control or undecodable characters in the first " \
               f"{len(sample)}), not HTML"
    return None


_MARKUP = re.compile(r"</?[a-zA-Z!?][^<>]{0,200}>|&[#a-zA-Z0-9]{1,10};")


def _markup_share(text: str) -> float:
    """How much of a text is tags and entities: leaked markup (tag soup, <plaintext>, a page
    served as text) is no article, while a report quoting one tag stays one."""
    return sum(len(m) for m in _MARKUP.findall(text)) / max(1, len(text))


def _not_article_reason(body_text: str, title: str, min_chars: int, link_ratio: float,
                        markup: float) -> str:
    """The `error` of a page whose URL says article and whose content says otherwise."""
    if not body_text and not title:
        return "not an article: no text and no title"
    if len(body_text) < min_chars:
        return (f"not an article: {len(body_text)} characters of text (at least {min_chars})"
                + ("" if title else ", no title"))
    if not title:
        return "not an article: no title"
    if markup > MAX_MARKUP_SHARE:
        return f"not an article: {markup:.0%} of the text is HTML markup"
    return f"not an article: {link_ratio:.0%} of the text is links"


def _empty(url: str, reason: str) -> dict:
    return {
        "url": url, "canonical_url": url, "source": _hostname(url),
        "title": "", "published": None, "author": None, "body": "", "images": [],
        "relevant": False,
        "meeting": {"kind": None, "level": None, "locality": None, "chair": None,
                    "period": None, "meeting_date": None},
        "page_type": "error", "family": None, "error": reason,
    }


_XML_INCOMPATIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _parse_html(text: str):
    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, recover=True,
                                  encoding=None)
    # control characters are not text, and lxml refuses them when the tree is edited later
    text = _XML_INCOMPATIBLE.sub("", text)
    if not text.strip():
        raise ValueError("empty document")
    try:
        root = lxml.html.document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError):
        # an XML declaration with an encoding makes lxml refuse a str: drop it
        text = re.sub(r"^\s*<\?xml[^>]*>", "", text)
        root = lxml.html.document_fromstring(text, parser=parser)
    if root is None:
        raise ValueError("no HTML in the document")
    return root


def _text(el) -> str:
    return normalize_text(" ".join(el.itertext()))


_SEL_TOKEN = re.compile(r"([.#])((?:[\w-]|\\.)+)")
_last_index: tuple = (None, frozenset(), frozenset())  # (root, classes, ids), replaced whole


def _page_index(root) -> tuple[frozenset, frozenset]:
    """Every class and id on the page (one pass), cached for the page being extracted."""
    global _last_index
    entry = _last_index  # one read: another thread may replace the global meanwhile
    if entry[0] is not root:
        classes, ids = set(), set()
        for el in root.iter():
            if isinstance(el.tag, str):
                c = el.get("class")
                if c:
                    classes.update(c.split())
                i = el.get("id")
                if i:
                    ids.add(i)
        entry = (root, frozenset(classes), frozenset(ids))
        _last_index = entry
    return entry[1], entry[2]


def _forget_page() -> None:
    """Drop the cached index so the finished page's tree is not kept alive."""
    global _last_index
    _last_index = (None, frozenset(), frozenset())


@lru_cache(maxsize=1024)
def _needs(selector: str) -> tuple[tuple[frozenset, frozenset], ...] | None:
    """Per comma group, the classes and ids it requires; None when a group requires none."""
    if selector.startswith("xpath:") or ":" in selector:  # pseudo-classes (:not) negate
        return None
    groups = []
    for group in selector.split(","):
        found = _SEL_TOKEN.findall(group.split("[")[0] if "[" in group else group)
        classes = frozenset(v for k, v in found if k == ".")
        ids = frozenset(v for k, v in found if k == "#")
        if not classes and not ids:
            return None
        groups.append((classes, ids))
    return tuple(groups)


def _may_match(root, selector: str) -> bool:
    """False when no element of the page can match: CSS over a big tree is the slow part of
    extraction, and most shared selectors name classes the page does not have."""
    needs = _needs(selector)
    if needs is None:
        return True
    classes, ids = _page_index(root)
    return any(c <= classes and i <= ids for c, i in needs)


def _first(root, selectors, allow_images: bool = False) -> tuple:
    from .profiles import _compile_css
    for sel in selectors:
        if not _may_match(root, sel):
            continue
        for el in _compile_css(sel)(root):
            if _text(el) or (allow_images and el.find(".//img") is not None):
                return el, sel
    return None, None


def _meta(root, names: tuple[str, ...]) -> list[tuple[str, str]]:
    out = []
    for el in root.iter("meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").lower()
        if key in names and el.get("content"):
            out.append((key, el.get("content")))
    if "datepublished" in names:  # schema.org markup: asked for only when looking for a date
        for el in root.iter("time"):
            if el.get("itemprop", "").lower() == "datepublished" and el.get("datetime"):
                out.append(("time[itemprop=datePublished]", el.get("datetime")))
        for el in root.iter():
            if isinstance(el.tag, str) and el.get("itemprop", "").lower() == "datepublished":
                v = el.get("content") or el.get("datetime")
                if v:
                    out.append(("itemprop=datePublished", v))
        for script in root.iter("script"):
            if (script.get("type") or "").lower() == "application/ld+json" and script.text:
                try:
                    data = json.loads(script.text)
                except ValueError:
                    continue
                for item in data if isinstance(data, list) else [data]:
                    if isinstance(item, dict) and item.get("datePublished"):
                        out.append(("ld+json", str(item["datePublished"])))
    order = {n: i for i, n in enumerate(names)}
    out.sort(key=lambda kv: order.get(kv[0], -1))
    return [(k, _fix_meta_date(v) if k in _META_DATE_NAMES else v) for k, v in out]


# NukeViet writes article:published_time with PHP's date('Y-m-dTH:i:s'), where `T` is the zone
# abbreviation: "2022-07-25+0709:15:00" means 09:15 on 25/07/2022 in +07.
_PHP_T_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})([+-]\d{2})(\d{2}:\d{2}(?::\d{2})?)$")


def _fix_meta_date(value: str) -> str:
    m = _PHP_T_DATE.match(value.strip())
    if not m:
        return value
    return f"{m.group(1)}T{m.group(3)}{m.group(2)}:00"


def _remove(el) -> None:
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def _strip_chrome(root) -> None:
    from .profiles import _compile_css
    for sel in RULES.drop_css_global:
        for el in _compile_css(sel)(root):
            _remove(el)


def _strip_counters(root) -> None:
    """Visit counters and clock widgets: out before any date or text is read."""
    for el in list(root.iter()):
        if not isinstance(el.tag, str) or el.getparent() is None:
            continue
        attrs = (el.get("class") or "") + " " + (el.get("id") or "")
        if attrs.strip() and _CHROME_ATTR.search(attrs):
            if len(_text(el)) < 400:
                _remove(el)


def _title(root, profile: Profile | None) -> tuple[str, object]:
    if _chain(profile, "title"):
        el, _ = _first(root, _chain(profile, "title"))
        if el is not None:
            return _clean_title(_text(el), profile), el
    og = [c for k, c in _meta(root, ("og:title", "twitter:title"))]
    h1s = [h for h in root.iter("h1") if len(_text(h)) >= 8]
    head_title = ""
    t = root.find(".//title")
    if t is not None:
        head_title = normalize_text(t.text_content())
    matched = _title_matching_head(root, [head_title] + og)
    if matched is not None:
        return _clean_title(_text(matched), profile), matched
    for h in h1s:
        ht = _text(h)
        if head_title and (ht in head_title or head_title in ht) and len(ht) > 15:
            return _clean_title(ht, profile), h
    if og:
        return _clean_title(og[0], profile, from_head=True), None
    for h in h1s:
        ht = _text(h)
        if len(ht) > 15 and len(ht) < 400:
            return _clean_title(ht, profile), h
    return _clean_title(head_title, profile, from_head=True), None


_TITLE_CLASS = re.compile(r"title|tieude|tieu-de|headline", re.IGNORECASE)
_SITE_LIKE = re.compile(r"^(cổng|trang|website|portal)\b", re.IGNORECASE)


def _title_matching_head(root, heads: list[str]):
    """The longest heading or title-classed element whose text starts the page's <title> or
    og:title ("<title> - <category> - <site>"): unknown CMSs put the title in h1–h4 or a div."""
    keys = [re.sub(r"\s+", " ", normalize_text(h)).strip() for h in heads if h and h.strip()]
    if not keys:
        return None
    best, best_len = None, 0
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag in ("title", "meta", "html", "body", "head"):
            continue
        if el.tag not in ("h1", "h2", "h3", "h4") and not _TITLE_CLASS.search(el.get("class") or ""):
            continue
        text = re.sub(r"\s+", " ", _text(el)).strip()
        if not 15 < len(text) < 400 or text.isupper() or _SITE_LIKE.match(text):
            continue
        if len(text) > best_len and any(k == text or k.startswith(text + " ") for k in keys):
            best, best_len = el, len(text)
    return best


_SITE_NAME = re.compile(r"cổng|trang|thông tin|portal|website|điện tử|báo|online|\.vn|\.com",
                        re.IGNORECASE)


def _clean_title(title: str, profile: Profile | None, from_head: bool = False) -> str:
    title = re.sub(r"\s+", " ", normalize_text(title)).strip()  # a title is one line
    if profile:
        for rx in profile.title_suffix:
            title = rx.sub("", title)
    if from_head:
        # "<title> - CỔNG THÔNG TIN ĐIỆN TỬ …" / "Site | <title>": drop the site-name part only
        parts = _TITLE_SPLIT.split(title)
        while len(parts) > 1 and (_SITE_NAME.search(parts[-1]) or parts[-1].isupper()) \
                and len(parts[-1]) < 80:
            parts.pop()
        while len(parts) > 1 and (_SITE_NAME.search(parts[0]) or parts[0].isupper()) \
                and len(parts[0]) < 60:
            parts.pop(0)
        title = " - ".join(parts)
    title = re.sub(r"\s*\(?\s*\d+\s*lượt xem\s*\)?$", "", title, flags=re.I)
    return normalize_text(title).strip(" -|")


def _date(root, profile: Profile | None, title_el, fetched: date | None) -> ParsedDate | None:
    date_only = bool(profile and profile.date_only)
    if _chain(profile, "date"):
        from .profiles import _compile_css
        for sel in _chain(profile, "date"):
            for el in _compile_css(sel)(root):
                raw = _text(el)
                p = parse_date(raw, date_only=date_only)
                if p:
                    return p.with_source(f"selector:{sel}")
    for name, content in _meta(root, _META_DATE_NAMES):
        p = parse_date(content, date_only=date_only)
        if p:
            return p.with_source(f"meta:{name}")
    # a labelled date anywhere in the page ("Cập nhật lúc: …", "Ngày đăng …")
    if profile and profile.date_label:
        full = _text(root.find("body") if root.find("body") is not None else root)
        for rx in profile.date_label:
            m = rx.search(full)
            if m:
                p = parse_date(m.group(0), date_only=date_only)
                if p:
                    return p.with_source("label")
    # the first date after the title, within a short window: the meta line
    if title_el is not None:
        following = []
        for el in title_el.itersiblings():
            following.append(_text(el))
            if sum(map(len, following)) > 400:
                break
        parent = title_el.getparent()
        hops = 0
        while sum(map(len, following)) < 60 and parent is not None and hops < 3:
            for el in parent.itersiblings():
                following.append(_text(el))
                if sum(map(len, following)) > 400:
                    break
            parent = parent.getparent()
            hops += 1
        window = " ".join(following)[:400]
        dates = find_dates(window)
        if dates:
            return dates[0][1].with_source("after-title")
    return None


_AUTHOR_LABEL = re.compile(r"^(?:bởi|by|đăng bởi|người đăng|người viết|tác giả(?: bài viết)?|"
                           r"author|viết bởi)\s*:?\s*", re.IGNORECASE)


def _author_from_element(text: str) -> str | None:
    """The author in an element a profile names as the author line ("bởi Linh", "Tác giả: X").

    The element says it is a byline, so a one-word pen name is accepted here, unlike a trailing
    paragraph of the body, which must look like a name to be taken.
    """
    text = _AUTHOR_LABEL.sub("", re.sub(r"\s+", " ", normalize_text(text)).strip())
    text = text.strip(" .:-|")
    if not text:
        return None
    named = split_byline(text)
    if named:
        return named
    if len(text) <= 80 and len(text.split()) <= 10 and re.search(r"[^\W\d_]", text):
        return text
    return None


_CAPTION_CLOSE = "[/caption]"


def _shortcode_captions(el) -> None:
    """WordPress `[caption …]<img> text[/caption]` left as text: make the text a <figcaption>.

    Migrated WordPress content keeps the shortcode (portal-families.md §10, §12); the text after
    the image is its caption, not a paragraph. The opening tag is removed later as a leftover.
    """
    for img in list(el.iter("img")):
        node = img
        if _CAPTION_CLOSE not in (node.tail or "") and node.getparent() is not None \
                and node.getparent().tag == "a" and not (node.tail or "").strip():
            node = node.getparent()
        tail = node.tail or ""
        if _CAPTION_CLOSE not in tail:
            continue
        caption, rest = tail.split(_CAPTION_CLOSE, 1)
        fig = etree.Element("figcaption")
        fig.text = caption
        node.tail = None
        node.addnext(fig)
        fig.tail = rest


def _generic_profile() -> Profile | None:
    return load_profiles().get("generic")


def _chain(profile: Profile | None, field: str) -> tuple[str, ...]:
    """The profile's selectors for `field`, then the shared generic ones."""
    own = getattr(profile, field, ()) if profile else ()
    generic = _generic_profile()
    shared = getattr(generic, field, ()) if generic and generic is not profile else ()
    return tuple(own) + tuple(s for s in shared if s not in own)


def _content_element(root, profile: Profile | None):
    """The content element and how it was found; `own` is False for a shared generic selector."""
    el, sel = _first(root, _chain(profile, "body"))
    if el is not None and len(_text(el)) >= 80:
        own = bool(profile) and sel in profile.body
        return el, f"selector:{sel}", own
    return None, None, False


def _apply_profile_drop(el, profile: Profile | None) -> None:
    from .profiles import _compile_css
    sels = list(RULES.drop_css_body) + list(_chain(profile, "drop"))
    for sel in sels:
        for sub in _compile_css(sel)(el):
            if sub is not el:
                _remove(sub)


def _lede_blocks(root, profile: Profile | None, base_url: str) -> list[Block]:
    if not _chain(profile, "lede"):
        return []
    el, _ = _first(root, _chain(profile, "lede"), allow_images=True)
    if el is None:
        return []
    return element_blocks(el, base_url)


def _print_links(root, url: str, profile: Profile | None) -> list[str]:
    """Print views linked from the page (same item, other URL): recorded as URL variants."""
    if profile is None or not profile.print_url:
        return []
    from urllib.parse import urljoin

    out: list[str] = []
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "#")):
            continue
        try:
            absolute = urljoin(url, href)
        except ValueError:  # "http://[::1": a broken link is no print view
            continue
        if profile.matches(profile.print_url, absolute) and absolute not in out:
            out.append(absolute)
    return out[:5]


def extract_article(body: bytes, url: str, content_type: str | None = None,
                    fetched_at: str | None = None, family: str | None = None) -> dict:
    """The Article JSON of one response (see the contract); never raises on bad input.

    `family` is the CMS family a source entry declares; without it the family is detected.
    `family="generic"` skips detection and forces the generic path (shared selectors, then
    trafilatura, then the same cleanup): what an unknown CMS gets, measured by bench/extraction.py.
    """
    if body is None or not body.strip(b" \t\r\n\x00\x0b\x0c"):
        return _empty(url, "empty body")
    try:
        urlsplit(url).port  # noqa: B018  (raises on "http://[::1" or a port out of range)
    except ValueError as exc:
        return _empty(url, f"invalid URL: {exc}")
    truncated = len(body) > MAX_BODY_BYTES
    if truncated:
        body = body[:MAX_BODY_BYTES]
    decoded = decode_body(body, content_type)
    if not decoded.text.strip(" \t\r\n\x00\ufeff"):
        out = _empty(url, "empty body")
        out["encoding"] = decoded.encoding
        return out
    binary = _binary_reason(body, decoded.text)
    if binary:
        out = _empty(url, binary)
        out["encoding"] = decoded.encoding
        return out
    try:
        root = _parse_html(decoded.text)
    except Exception as exc:  # lxml raises several types on hopeless input
        out = _empty(url, f"unparseable HTML: {exc.__class__.__name__}: {str(exc)[:120]}")
        out["encoding"] = decoded.encoding
        return out
    fetched = None
    if fetched_at:
        try:
            fetched = datetime.fromisoformat(fetched_at.replace("Z", "+00:00")).date()
        except ValueError:
            fetched = None
    raw_html = decoded.text
    profiles = load_profiles()
    if family and family in profiles and family != "generic":
        detect_reasons = ["declared by the source"]
    elif family == "generic":
        family, detect_reasons = None, ["generic path forced by the caller"]
    else:
        family, detect_reasons = detect_family(raw_html, url, root, profiles)
    profile = profiles.get(family) if family else None

    canonical_href = None
    for link in root.iter("link"):
        if (link.get("rel") or "").lower() == "canonical" and link.get("href"):
            canonical_href = link.get("href")
            break

    alternate_urls = _print_links(root, url, profile)
    _strip_chrome(root)
    _strip_counters(root)
    title, title_el = _title(root, profile)
    published = _date(root, profile, title_el, fetched)

    # the author line before the profile's drop list removes it from the content element
    author_line = None
    if _chain(profile, "author"):
        el, _ = _first(root, _chain(profile, "author"))
        if el is not None:
            author_line = _author_from_element(_text(el))

    lede = _lede_blocks(root, profile, url)
    content, content_how, own = _content_element(root, profile)
    if content is not None:
        _apply_profile_drop(content, profile)
        _shortcode_captions(content)
        if profile is None and not own:
            blocks, refined = refine_content(content, url)  # no family: prune a wide wrapper
            content_how += refined
        else:
            blocks = element_blocks(content, url)
    else:
        blocks, content_how = generic_content(raw_html, root, url)
    if lede:
        lede_text = " ".join(b.text for b in lede if b.text)
        if lede_text and any(lede_text[:60] in b.text for b in blocks[:3] if b.text):
            lede = [b for b in lede if b.image]  # the body repeats the sapo: keep its image
        blocks = [b for b in lede if b.text or b.image] + blocks
    cleaned = clean_blocks(blocks, title=title, profile=profile)
    paragraphs, images, author = cleaned.paragraphs, cleaned.images, cleaned.author
    author = author_line or author
    body_text = "\n\n".join(paragraphs)

    # page type: URL shape first, then what the page holds
    page_type = page_type_from_url(url, profile)
    link_ratio = cleaned.link_chars / max(1, cleaned.total_chars)
    min_chars = profile.min_body_chars if profile else 200
    if page_type is None and profile is not None and profile.article_url:
        page_type = "other"  # the family's article URLs have a known shape; this is not one
    not_article = None
    if page_type == "article" or page_type is None:
        markup = _markup_share(body_text)
        if len(body_text) < min_chars or not title or markup > MAX_MARKUP_SHARE:
            if page_type == "article":  # the URL promised an article: say why it is none
                not_article = _not_article_reason(body_text, title, min_chars, 0.0, markup)
            page_type = "other" if page_type is None else "stub"
        elif link_ratio > 0.5:
            if page_type == "article":
                not_article = _not_article_reason(body_text, title, min_chars, link_ratio, markup)
            page_type = "listing"
        elif page_type is None and published is None:
            page_type = "other"  # an unknown shape with no date: an intro or contact page
        else:
            page_type = "article"

    if published is None and fetched is None and body_text:
        pass
    canonical = canonicalize(url, canonical_href, profile)
    article = {
        "url": url,
        "canonical_url": canonical,
        "source": _hostname(url),
        "title": title,
        "published": published.value if published else None,
        "author": author,
        "body": body_text,
        "images": [{"src": im.src, "caption": im.caption} for im in images],
    }
    article.update(classify_article(article, published_day=published.day if published
                                    else fetched))
    article.update({
        "page_type": page_type,
        "family": family or "generic",
        "family_reasons": detect_reasons,
        "content_from": content_how,
        "published_source": published.source if published else None,
        "published_raw": published.raw if published else None,
        "encoding": decoded.encoding,
        "encoding_method": decoded.method,
        "legacy_font": decoded.legacy_font,
        "truncated": truncated,
        "fetched_at": fetched_at,
        "alternate_urls": alternate_urls,
    })
    if not_article:
        article["error"] = not_article  # stored in `pages.error`: why this URL holds no article
    _forget_page()
    return article
