"""Turn a content element into paragraphs and images, the way a reader sees them.

Block elements and double <br> end a paragraph; a single <br> is a hard line break (Word pastes
them mid-sentence, even mid-word), so it is joined with a space. Images are kept in reading order with a caption when the page shows
one (figcaption, an image table's text cell, or a short centred/italic line right under it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

from lxml import etree

__all__ = ["Block", "Image", "element_blocks", "BLOCK_TAGS"]

BLOCK_TAGS = {
    "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "blockquote", "section",
    "article", "figure", "figcaption", "table", "tr", "tbody", "thead", "dl", "dt",
    "dd", "pre", "address", "header", "footer", "aside", "main", "center", "hr", "caption",
    # trafilatura's output tree (the generic path)
    "head", "list", "item", "quote", "row", "doc", "body",
}
# Table cells are not paragraphs of their own: a row of plain cells reads as one line,
# "Pos | Player | Plays" (portal-families.md §17 sees tables flattened this way); a cell that
# holds paragraphs still splits at them.
CELL_TAGS = {"td", "th", "cell"}
_CELL_SEP = " | "
_SENTENCE_END = re.compile(r"[.!?…:\"”)]\s*$")
_STARTS_NEW = re.compile(r"^[\"“(\-•*+\d]|^[A-ZĐÀ-ỸÁẢÃẠÂẦẤẨẪẬĂẰẮẲẴẶÉÈẺẼẸÊỀẾỂỄỆÍÌỈĨỊÓÒỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÚÙỦŨỤƯỪỨỬỮỰÝỲỶỸỴ]")
_CAPTION_CLASS = re.compile(r"caption|desc|chuthich|chu-thich|note|image_?desc|img-?desc|photo-?note|legend",
                            re.IGNORECASE)
_WS = re.compile(r"[ \t\r\n\f\v\u00a0]+")


@dataclass
class Image:
    src: str
    caption: str | None = None


@dataclass
class Block:
    """One paragraph of text, or one image (text empty)."""
    text: str = ""
    image: Image | None = None
    tag: str = "p"
    centered: bool = False
    italic: bool = False
    right: bool = False
    caption_hint: bool = False  # the element says it is a caption
    link_chars: int = 0
    extra: dict = field(default_factory=dict)


def _style(el) -> str:
    return ((el.get("style") or "") + " " + (el.get("align") or "")).lower().replace(" ", "")


def _is_centered(el) -> bool:
    s = _style(el)
    return "text-align:center" in s or s.endswith("center") or el.tag == "center"


def _is_right(el) -> bool:
    s = _style(el)
    return "text-align:right" in s or s.endswith("right")


def _img_src(el, base_url: str) -> str | None:
    for attr in ("data-src", "data-original", "data-lazy-src", "src"):
        v = el.get(attr)
        if v and not v.startswith("data:"):
            v = v.strip()
            if v:
                try:
                    return urljoin(base_url, v)
                except ValueError:  # "http://[::1": no image anyone can load
                    return None
    return None


class _Walker:
    def __init__(self, base_url: str):
        self.base_url = base_url
        self.blocks: list[Block] = []
        self.lines: list[str] = [""]
        self.link_chars = 0
        self.flags: list[dict] = []
        self.pending_brs = 0
        self.pending_sep = False

    # -- text accumulation -------------------------------------------------
    def add_text(self, text: str | None, in_link: bool = False) -> None:
        if not text:
            return
        text = _WS.sub(" ", text)
        if not text.strip():
            if self.lines[-1] and not self.lines[-1].endswith(" "):
                self.lines[-1] += " "
            return
        if self.pending_brs:
            self._apply_brs()
        if self.pending_sep:
            self.pending_sep = False
            if self.lines[-1].strip():
                self.lines[-1] = self.lines[-1].rstrip() + _CELL_SEP
                text = text.lstrip()
        self.lines[-1] += text
        if in_link:
            self.link_chars += len(text.strip())

    def br(self) -> None:
        self.pending_brs += 1

    def _apply_brs(self) -> None:
        n, self.pending_brs = self.pending_brs, 0
        if not "".join(self.lines).strip():
            return
        if n >= 2:
            self.flush()
        else:
            self.lines.append("")

    def flush(self, ctx: dict | None = None) -> None:
        self.pending_brs = 0
        self.pending_sep = False
        lines = [ln.strip() for ln in self.lines if ln.strip()]
        self.lines = [""]
        link_chars, self.link_chars = self.link_chars, 0
        if not lines:
            return
        # a single <br> is a hard wrap inside the paragraph (Word pastes them mid-sentence);
        # two in a row already ended the paragraph in _apply_brs
        paragraphs: list[str] = [" ".join(lines)]
        ctx = ctx or (self.flags[-1] if self.flags else {})
        for i, p in enumerate(paragraphs):
            self.blocks.append(Block(
                text=p, tag=ctx.get("tag", "p"), centered=ctx.get("centered", False),
                italic=ctx.get("italic", False) or ctx.get("all_italic", False),
                right=ctx.get("right", False), caption_hint=ctx.get("caption", False),
                link_chars=link_chars if i == 0 else 0,
            ))

    def image(self, el, ctx: dict) -> None:
        src = _img_src(el, self.base_url)
        if not src:
            return
        # an image splits the paragraph it sits in
        self.flush()
        self.blocks.append(Block(image=Image(src), tag="img", centered=ctx.get("centered", False),
                                 caption_hint=ctx.get("caption", False)))

    # -- tree walk ---------------------------------------------------------
    def walk(self, el, ctx: dict, in_link: bool = False) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        tag = tag.lower().split("}")[-1]
        if tag in ("br", "lb"):  # lb: a line break in trafilatura's output tree
            self.br()
            self.add_text(el.tail, in_link)
            return
        if tag in ("img", "graphic"):
            self.image(el, ctx)
            self.add_text(el.tail, in_link)
            return
        is_block = tag in BLOCK_TAGS
        cls = (el.get("class") or "") + " " + (el.get("id") or "") if tag else ""
        if not is_block and tag and _CAPTION_CLASS.search(cls) and self.blocks \
                and self.blocks[-1].image is not None and not "".join(self.lines).strip():
            is_block = True  # an inline caption right under its image (K2's span.itemImageCaption)
        new_ctx = ctx
        if is_block:
            self.flush()
            new_ctx = dict(ctx)
            new_ctx["tag"] = tag
            if _is_centered(el):
                new_ctx["centered"] = True
            if _is_right(el):
                new_ctx["right"] = True
            if tag == "figcaption" or tag == "caption" or _CAPTION_CLASS.search(cls):
                new_ctx["caption"] = True
            new_ctx["all_italic"] = _all_italic(el)
            self.flags.append(new_ctx)
        if tag in CELL_TAGS and self.lines[-1].strip() and not self.pending_brs:
            self.pending_sep = True  # written when the next cell has text
        link = in_link or tag == "a"
        if tag:  # comments and processing instructions have no text of their own
            self.add_text(el.text, link)
        for child in el:
            self.walk(child, new_ctx, link)
        if is_block:
            self.flush(new_ctx)
            self.flags.pop()
        self.add_text(el.tail, in_link)


def _italic(e) -> bool:
    return e.tag in ("em", "i") or (e.tag == "hi" and "#i" in (e.get("rend") or ""))


def _all_italic(el) -> bool:
    """True when every non-blank text of the element sits inside <em>/<i>."""
    text = "".join(el.itertext()).strip()
    if not text or len(text) > 300:
        return False
    italic = 0
    for e in el.iter():
        if isinstance(e.tag, str) and _italic(e) and not any(
                _italic(a) for a in e.iterancestors() if a is not el):
            italic += len("".join(e.itertext()).strip())
    return italic >= 0.9 * len(text.replace(" ", "")) or italic >= 0.9 * len(text)


def element_blocks(el: etree._Element, base_url: str) -> list[Block]:
    walker = _Walker(base_url)
    walker.walk(el, {"tag": "div"})
    walker.flush()
    return walker.blocks
