"""Decode a response body: HTTP header first, then BOM and <meta>, then detection.

Vietnamese portals send windows-1258 declared only in the Content-Type header, UTF-8 with a BOM,
and meta tags that lie. Every decision is reported (`Decoded.method`) so that the archive can say
which charset it used and why. Legacy font encodings (TCVN3/ABC, VNI) are not charsets at all:
they are Latin-1 bytes drawn with special fonts, so they are detected from the decoded text and
reported in `Decoded.legacy_font`.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from bs4.dammit import EncodingDetector

__all__ = ["Decoded", "decode_body", "charset_from_content_type"]

_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE
)
_CT_CHARSET = re.compile(r"charset\s*=\s*[\"']?([a-zA-Z0-9_.:-]+)", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
         (codecs.BOM_UTF16_BE, "utf-16-be"))
# Letters that TCVN3 (ABC) and VNI text shows when decoded as Latin-1/cp1252: frequent
# sequences that never occur in Unicode Vietnamese.
_TCVN3_MARKS = re.compile(r"[¸µ¶·¹¨©ª®¬­«¦§]\w|\w[¸µ¶·¹¨©ª®¬]")
_VNI_MARKS = re.compile(r"[aeo][ùøûõï]|[AEO][ÙØÛÕÏ]|ñ[aeiouy]|ö[ôø]")
_VIETNAMESE = re.compile(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.I)


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str          # the codec used
    method: str            # "bom" | "http-header" | "meta" | "detected" | "fallback"
    declared: str | None   # what the header or meta claimed, if anything
    errors: int            # bytes that could not be decoded (replaced by U+FFFD)
    legacy_font: str | None = None  # "TCVN3" | "VNI" when the text looks font-encoded


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().lower()
    aliases = {"utf8": "utf-8", "unicode": "utf-8", "win-1258": "windows-1258",
               "cp-1258": "windows-1258", "x-user-defined": None}
    name = aliases.get(name, name)
    if name is None:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def charset_from_content_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    m = _CT_CHARSET.search(content_type)
    return m.group(1) if m else None


def _try(body: bytes, codec: str) -> tuple[str, int] | None:
    try:
        return body.decode(codec), 0
    except UnicodeDecodeError:
        return None
    except LookupError:
        return None


def _legacy_font(text: str) -> str | None:
    sample = text[:20000]
    if len(_VIETNAMESE.findall(sample)) >= 20:
        return None
    if len(_TCVN3_MARKS.findall(sample)) >= 5:
        return "TCVN3"
    if len(_VNI_MARKS.findall(sample)) >= 5:
        return "VNI"
    return None


def decode_body(body: bytes, content_type: str | None = None) -> Decoded:
    """Turn response bytes into text, never raising."""
    if isinstance(body, str):
        return Decoded(body, "utf-8", "fallback", None, 0)
    header = charset_from_content_type(content_type)
    for bom, codec in _BOMS:
        if body.startswith(bom):
            text = body[len(bom):].decode(codec, errors="replace")
            return Decoded(text, codec, "bom", header, text.count("\ufffd"))
    head = body[:4096]
    meta_match = _META_CHARSET.search(head)
    meta = meta_match.group(1).decode("ascii", "ignore") if meta_match else None
    candidates: list[tuple[str, str]] = []
    if _codec(header):
        candidates.append((_codec(header), "http-header"))  # type: ignore[arg-type]
    if _codec(meta):
        candidates.append((_codec(meta), "meta"))  # type: ignore[arg-type]
    for codec, method in candidates:
        decoded = _try(body, codec)
        if decoded is None:
            continue  # the declaration lies: the bytes are not valid in it
        text = decoded[0]
        if codec != "utf-8" and _looks_like_utf8(body):
            # a legacy declaration over bytes that are valid, non-ASCII UTF-8: trust the bytes
            text = body.decode("utf-8")
            return Decoded(text, "utf-8", "detected", header or meta, 0, _legacy_font(text))
        return Decoded(text, codec, method, header or meta, 0, _legacy_font(text))
    # nothing declared, or every declaration failed: detect
    if _looks_like_utf8(body) or _try(body, "utf-8") is not None:
        text = body.decode("utf-8")
        return Decoded(text, "utf-8", "detected", header or meta, 0, _legacy_font(text))
    detector = EncodingDetector(body, known_definite_encodings=[], is_html=True)
    for enc in detector.encodings:
        codec = _codec(enc)
        if codec and codec not in ("ascii",):
            decoded = _try(body, codec)
            if decoded is not None and not _mojibake(decoded[0]):
                return Decoded(decoded[0], codec, "detected", header or meta, 0,
                               _legacy_font(decoded[0]))
    # windows-1258 decodes every byte but a few; it is the likeliest legacy Vietnamese charset
    text = body.decode("windows-1258", errors="replace")
    return Decoded(text, "windows-1258", "fallback", header or meta, text.count("\ufffd"),
                   _legacy_font(text))


def _looks_like_utf8(body: bytes) -> bool:
    if body.isascii():
        return False
    try:
        body.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def _mojibake(text: str) -> bool:
    return text.count("\ufffd") > 0
