"""The readable article page's HTML: crawled text in, sanitised markup out.

Everything a portal wrote is untrusted. The body is stored as plain text, so it is escaped into
paragraphs; image URLs and captions are attributes and text. The fragment then goes through nh3
(ammonia) with a small allow-list — no script, no event handler, no style, only http(s) URLs —
and the page is served with a Content-Security-Policy that forbids every script anyway.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import nh3
from markupsafe import escape

__all__ = ["CSP", "body_html", "images_of", "safe_url", "sanitize"]

# No script at all; images may come from the portals; styles from Datasette and our nonce only.
CSP = ("default-src 'none'; script-src 'none'; object-src 'none'; frame-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
       "img-src 'self' http: https:; style-src 'self' 'nonce-{nonce}'")

_TAGS = {"p", "figure", "img", "figcaption", "a", "br", "em", "strong", "b", "i", "ul", "ol",
         "li", "blockquote", "table", "thead", "tbody", "tr", "td", "th", "h2", "h3", "h4"}
_ATTRIBUTES = {"img": {"src", "alt", "loading", "referrerpolicy"}, "a": {"href", "title"},
               "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}


def sanitize(html: str) -> str:
    """nh3 with the page's allow-list: http(s) links and images only, links marked nofollow."""
    return nh3.clean(html, tags=_TAGS, attributes=_ATTRIBUTES, url_schemes={"http", "https"},
                     link_rel="noopener noreferrer nofollow", strip_comments=True)


def safe_url(url: str | None) -> str | None:
    """The URL if it is http(s), else None (a stored `javascript:` URL never becomes a link)."""
    if not url:
        return None
    return url if urlsplit(url.strip()).scheme.lower() in ("http", "https") else None


def images_of(images_json: str | None) -> list[dict]:
    """The `images` column ([{src, caption}]) with unusable entries dropped."""
    try:
        images = json.loads(images_json or "[]")
    except (TypeError, ValueError):
        return []
    out = []
    for image in images if isinstance(images, list) else []:
        if isinstance(image, dict) and safe_url(image.get("src")):
            out.append({"src": image["src"].strip(), "caption": image.get("caption") or None})
    return out


def _figure(image: dict) -> str:
    caption = image["caption"]
    return (f'<figure><img src="{escape(image["src"])}" alt="{escape(caption or "")}" '
            f'loading="lazy" referrerpolicy="no-referrer">'
            + (f"<figcaption>{escape(caption)}</figcaption>" if caption else "") + "</figure>")


def body_html(body: str | None, images: list[dict]) -> str:
    """Paragraphs of the stored text with the figures spread through them, sanitised.

    The store keeps no image positions, so figure *k* (from 0) of *n* goes after paragraph
    1 + k·(p-1)//n of *p*: the first after the lede, the others spread through the text.
    """
    paragraphs = [p.strip() for p in (body or "").split("\n\n") if p.strip()]
    after: dict[int, list[dict]] = {}
    for k, image in enumerate(images):
        slot = 1 + k * (len(paragraphs) - 1) // len(images) if paragraphs else 0
        after.setdefault(slot, []).append(image)
    parts = [_figure(i) for i in after.get(0, [])]
    for n, paragraph in enumerate(paragraphs, start=1):
        lines = "<br>".join(str(escape(line)) for line in paragraph.split("\n"))
        parts.append(f"<p>{lines}</p>")
        parts.extend(_figure(i) for i in after.get(n, []))
    return sanitize("\n".join(parts))
