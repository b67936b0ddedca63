"""Vietnamese text normalisation: one spelling of the same text, whatever the portal did to it.

Policy (documented in the README, applied to titles, bodies, authors, captions and search keys):

* Unicode NFC.
* One tone-mark style, the "old" placement used by the State's administrative-document rules
  (Nghị định 30/2020/NĐ-CP): in an *open* syllable whose nucleus is ``oa``, ``oe`` or ``uy`` the
  mark sits on the first vowel — "hòa", "khỏe", "ủy", "thủy". Syllables with a final consonant
  ("hoàng", "thuyết") and ``qu`` + ``y`` ("quý") are the same in both styles and left alone.
* "Ð" (U+00D0, Latin ETH, a legacy-conversion defect) becomes "Đ" (U+0110); "ð" becomes "đ".
* NBSP and the other Unicode spaces become a plain space; zero-width characters, soft
  hyphens and control characters (NUL, ESC, DEL, C1) are removed; literal "nbsp;" leftovers
  are removed.
* Every dash variant (‐ ‑ ‒ – — ― −) becomes "-" so that reposts typed with other dashes compare
  equal and search keys stay simple.
* Syllables split by a broken conversion ("hà nh", "Thà nh ủy") are rejoined when the tail is a
  fragment that is never a word of its own ("nh", "ng", "ch").
* Runs of spaces become one space.

`fold` builds the diacritic-free search key: lower case, no marks, "đ" → "d".
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalize_text", "normalize_tone_marks", "fold", "normalize_paragraphs"]

_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}  # huyền sắc ngã hỏi nặng
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACES = dict.fromkeys(map(ord, "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
                                 "\u2009\u200a\u202f\u205f\u3000\t\x0b\x0c"), " ")
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"), "-")
_ETH = {0x00D0: "\u0110", 0x00F0: "\u0111"}
# C0 and C1 control characters (NUL, ESC, DEL, …) are never text: a binary or broken page
# leaks them; tab, vertical tab and form feed are spaces above, \n and \r line breaks.
_CONTROLS = dict.fromkeys([*range(0x00, 0x09), *range(0x0E, 0x20), *range(0x7F, 0xA0)], None)
_TABLE = {**_CONTROLS, **_ZERO_WIDTH, **_SPACES, **_DASHES, **_ETH}
_STRIP_MARKS = dict.fromkeys(range(0x0300, 0x0370), None)  # combining diacritical marks


def _fold_table() -> dict[int, object]:
    """One translation table for search keys: every precomposed Latin letter to its base."""
    table: dict[int, object] = {**_TABLE, **_STRIP_MARKS, 0x0111: "d", 0x0110: "d",
                                0x00D0: "d", 0x00F0: "d"}
    for cp in range(0x00C0, 0x1EFF + 1):
        ch = chr(cp)
        if cp in table:
            continue
        base = unicodedata.normalize("NFD", ch.lower())
        stripped = "".join(c for c in base if not unicodedata.combining(c))
        if stripped != ch and stripped.isascii() and stripped:
            table[cp] = stripped
    return table


_FOLD = _fold_table()

_VOWELS = set("aăâeêioôơuưy")
_WORD = re.compile(r"[^\W\d_]+")
_NBSP_LITERAL = re.compile(r"&?nbsp;")
_SPLIT_SYLLABLE = re.compile(
    r"(?<=[àáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
    r"ÀÁẢÃẠẰẮẲẴẶẦẤẨẪẬÈÉẺẼẸỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌỒỐỔỖỘỜỚỞỠỢÙÚỦŨỤỪỨỬỮỰỲÝỶỸỴ]) (nh|ng|ch)\b"
)
_MULTISPACE = re.compile(r" {2,}")


def _split_tone(ch: str) -> tuple[str, str]:
    """Split one character into (base letter with its shape marks, tone mark or '')."""
    decomposed = unicodedata.normalize("NFD", ch)
    tone = "".join(c for c in decomposed if c in _TONES)
    base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
    return base, tone


def _fix_word(word: str) -> str:
    if len(word) < 2:
        return word
    parts = [_split_tone(c) for c in word]
    bases = "".join(b for b, _ in parts).lower()
    # nucleus must be the last two letters (open syllable) and be oa / oe / uy
    nucleus = bases[-2:]
    if nucleus not in ("oa", "oe", "uy"):
        return word
    if len(bases) >= 3 and bases[-3] in _VOWELS:
        return word  # three-vowel cluster ("khuya", "ngoeo"): not this rule
    if nucleus == "uy" and len(bases) >= 3 and bases[-3] == "q":
        return word  # "quý": u belongs to the consonant qu
    if nucleus == "oa" and len(bases) >= 3 and bases[-3] == "q":
        return word
    (b1, t1), (b2, t2) = parts[-2], parts[-1]
    if not t2 or t1:
        return word
    first = unicodedata.normalize("NFC", b1 + t2)
    return word[:-2] + first + b2


# only words ending in o/u + a/e/y (any tone, any case) can need a fix: a cheap pre-filter.
# Whole words of at most 12 letters (a syllable has at most 7): unbounded, the pattern is
# quadratic on a long run of letters (a 1 MB "word" took minutes).
_CANDIDATE = re.compile(r"(?<![^\W\d_])[^\W\d_]{0,10}(?:[oòóỏõọOÒÓỎÕỌ][aàáảãạeèéẻẽẹAÀÁẢÃẠEÈÉẺẼẸ]|"
                        r"[uùúủũụUÙÚỦŨỤ][yỳýỷỹỵYỲÝỶỸỴ])(?![^\W\d_])")


def normalize_tone_marks(text: str) -> str:
    """Move the tone mark of open oa/oe/uy syllables to the first vowel ("uỷ" → "ủy")."""
    return _CANDIDATE.sub(lambda m: _fix_word(m.group(0)), text)


def normalize_text(text: str | None) -> str:
    """Normalise one line or paragraph (no newlines are added or removed except \\r)."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text).translate(_TABLE)
    text = _MULTISPACE.sub(" ", _NBSP_LITERAL.sub(" ", text))  # before the rejoin: "hà  nh"
    text = normalize_tone_marks(text)
    text = _SPLIT_SYLLABLE.sub(r"\1", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(_MULTISPACE.sub(" ", line).strip() for line in text.split("\n"))
    return unicodedata.normalize("NFC", text)


def normalize_paragraphs(paragraphs: list[str]) -> str:
    """Join paragraphs with one blank line, each normalised and with inner newlines joined."""
    out = []
    for p in paragraphs:
        p = normalize_text(p.replace("\n", " "))
        if p:
            out.append(p)
    return "\n\n".join(out)


def fold(text: str | None) -> str:
    """Search key: lower case, diacritics removed, đ → d, dash variants → '-'."""
    if not text:
        return ""
    # tone placement is irrelevant once marks are stripped: skip that part of normalize_text
    text = unicodedata.normalize("NFC", text)
    if " nh" in text or " ng" in text or " ch" in text:
        text = _SPLIT_SYLLABLE.sub(r"\1", text)
    if "nbsp;" in text:
        text = _NBSP_LITERAL.sub(" ", text)
    return text.lower().translate(_FOLD)
