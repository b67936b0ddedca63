"""Vietnamese portal cleanup over paragraphs: chrome out, captions to images, byline to author.

The rules are data (`boilerplate.yaml`); this module only applies them in reading order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..normalize import normalize_text
from .blocks import Block, Image

__all__ = ["RULES", "Cleaned", "clean_blocks", "split_byline", "is_byline"]


@dataclass(frozen=True)
class Rules:
    drop_css_global: tuple[str, ...]
    drop_css_body: tuple[str, ...]
    drop_paragraph: re.Pattern
    strip_inline: tuple[re.Pattern, ...]
    end_marker: re.Pattern
    source_prefix: re.Pattern
    byline_prefix: re.Pattern
    counter: re.Pattern


def _load_rules() -> Rules:
    data = yaml.safe_load((Path(__file__).parent / "boilerplate.yaml").read_text("utf-8"))
    css = tuple(data["drop_css"])
    # scripts etc. go everywhere; class-based chrome only inside the content element, because
    # a page may put its title inside a ".tools" wrapper
    # ASP.NET wraps whole pages in <form id="aspnetForm">: forms and navs go only inside content
    global_css = tuple(c for c in css if not c.startswith((".", "[")) and c not in ("form", "nav"))
    return Rules(
        drop_css_global=global_css + ("[hidden]",),
        drop_css_body=css,
        drop_paragraph=re.compile("^(?:" + "|".join(data["drop_paragraph"]) + r")[\s.:|]*$",
                                  re.IGNORECASE),
        strip_inline=tuple(re.compile(p, re.IGNORECASE) for p in data["strip_inline"]),
        end_marker=re.compile("^(?:" + "|".join(data["end_markers"]) + r")(?:\s*[:(\d)]*)?\s*$",
                              re.IGNORECASE),
        source_prefix=re.compile(data["source_prefix"]),
        byline_prefix=re.compile(data["byline_prefix"], re.IGNORECASE),
        counter=re.compile(data["counter_text"], re.IGNORECASE),
    )


RULES = _load_rules()

_UP = "A-ZĐÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"
_NAME_WORD = rf"[{_UP}][^\W\d_]*"
_NAME = re.compile(rf"^{_NAME_WORD}(?: {_NAME_WORD}){{1,4}}$")
_CAPS_NAME = re.compile(rf"^[{_UP}]{{2,}}(?: [{_UP}]{{2,}}){{1,4}}$")
_INITIALS = re.compile(r"^[A-ZĐ]{1,4}(?:\.[A-ZĐ])*\.?$")
_AFFIL = re.compile(r"^(?P<name>.{3,40}?)\s*(?:,|-|\()\s*(?P<rest>(?:trung tâm|chuyên viên|"
                    r"văn phòng|phòng|ban|đài|báo|ttvh|trung|cộng tác viên|ctv|phóng viên|pv|"
                    r"thị|huyện|xã|phường|ubnd|ub mttq|hội|đoàn|bí thư|cán bộ|học viện|viện|trường|"
                    r"tạp chí|sở|ủy ban|mặt trận|công an|tỉnh|thành|quận).{0,80})$",
                    re.IGNORECASE)
_SIGNOFF = re.compile(r"^(?:\./\.|\.\.\./\.|-\s*hết\s*-)$", re.IGNORECASE)
_MAX_CAPTION = 220


@dataclass
class Cleaned:
    paragraphs: list[str] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    author: str | None = None
    link_chars: int = 0
    total_chars: int = 0


def _strip_inline(text: str) -> str:
    for rx in RULES.strip_inline:
        text = rx.sub(" ", text)
    return normalize_text(text)


def is_byline(text: str) -> bool:
    return split_byline(text) is not None


def split_byline(text: str | None) -> str | None:
    """The author in a byline paragraph, or None when the paragraph is not a byline."""
    if not text:
        return None
    t = normalize_text(text).strip(" .")
    if not t or len(t) > 120:
        return None
    prefixed = RULES.byline_prefix.match(t)
    if prefixed:
        rest = t[prefixed.end():].strip(" .")
        return rest or None
    if t.endswith(("./.", ".")) and len(t.split()) > 6:
        return None
    if _NAME.match(t) or _CAPS_NAME.match(t):
        return t
    m = _AFFIL.match(t)
    if m and (_NAME.match(m.group("name").strip()) or _CAPS_NAME.match(m.group("name").strip())):
        return t
    return None


def _caption_like(b: Block) -> bool:
    t = b.text
    if not t or len(t) > _MAX_CAPTION:
        return False
    return b.caption_hint or b.italic or (b.centered and len(t) < 160)


def clean_blocks(blocks: list[Block], *, title: str = "", profile=None) -> Cleaned:
    out = Cleaned()
    texts: list[tuple[str, Block]] = []
    images: list[Image] = []
    strip_lines = tuple(profile.strip_lines) if profile else ()
    title_key = normalize_text(title).lower()
    i = 0
    n = len(blocks)
    while i < n:
        b = blocks[i]
        if b.image is not None:
            img = Image(b.image.src, None)
            # caption: the next text block if it looks like one
            j = i + 1
            while j < n and blocks[j].image is None and not blocks[j].text.strip():
                j += 1
            if j < n and blocks[j].image is None and _caption_like(blocks[j]):
                cap = _strip_inline(blocks[j].text)
                if cap and not RULES.end_marker.match(cap):
                    img.caption = cap
                    i = j
            if not any(im.src == img.src for im in images):
                images.append(img)
            elif img.caption:
                for im in images:
                    if im.src == img.src and not im.caption:
                        im.caption = img.caption
            i += 1
            continue
        text = _strip_inline(b.text)
        i += 1
        if not text:
            continue
        out.total_chars += len(text)
        out.link_chars += min(b.link_chars, len(text))
        if RULES.end_marker.match(text):
            break
        if b.caption_hint and len(text) <= _MAX_CAPTION and images:
            if not images[-1].caption:
                images[-1].caption = text
            continue
        if RULES.drop_paragraph.match(text) or RULES.counter.fullmatch(text):
            continue
        if any(rx.search(text) for rx in strip_lines):
            continue
        if title_key and text.lower() == title_key:
            continue  # the title printed again inside the content
        texts.append((text, b))
    # trailing sign-offs and byline
    author = None
    initials = None
    while texts:
        text, b = texts[-1]
        if _SIGNOFF.match(text):
            texts.pop()
            continue
        if _INITIALS.match(text):
            texts.pop()  # an initials sign-off ("TĐ") is the author when nothing else is
            initials = text.strip(" .")
            continue
        name = split_byline(text)
        if name and author is None:
            author = name
            texts.pop()
            continue
        break
    if author is None and initials:
        author = initials
    paragraphs = [t for t, _ in texts]
    if paragraphs:
        paragraphs[0] = RULES.source_prefix.sub("", paragraphs[0], count=1).strip()
    # a byline printed first ("Tin, ảnh: …" above the lede) is rare but real
    if paragraphs and author is None and RULES.byline_prefix.match(paragraphs[0]) and \
            len(paragraphs[0]) < 80:
        author = split_byline(paragraphs.pop(0))
    out.paragraphs = [p for p in paragraphs if p]
    out.images = images
    out.author = author
    return out
