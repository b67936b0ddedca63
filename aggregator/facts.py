"""The facts of a briefing report: kind, level, locality, chair, period, meeting date, orgs.

Read from the title and lede as written (the text keeps its diacritics; matching is done on a
folded copy of the same length, so positions line up and values come out as the page spells them).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from .dates import parse_date, parse_yearless
from .normalize import normalize_text

__all__ = ["meeting_facts", "normalise_period"]

_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_LEVEL_OF = [
    (re.compile(r"\btinh uy\b"), "tinh"),
    (re.compile(r"\bthanh uy\b"), "thanh_pho"),
    (re.compile(r"\bthi uy\b"), "thi_xa"),
    (re.compile(r"\b(huyen|quan) uy\b"), "huyen"),
    (re.compile(r"\bdang uy (xa|phuong|thi tran)\b"), "xa"),
]
_LOCALITY = re.compile(r"\b(tỉnh|thành phố|thị xã|huyện|quận|xã|phường|thị trấn)\s+(\S+(?:\s+\S+){0,4})",
                       re.IGNORECASE)
_COMMITTEE_NAME = re.compile(r"\b(Tỉnh|Thành|Thị|Huyện|Quận) ủy\s+(\S+(?:\s+\S+){0,4})")
_COMMITTEE_WORD = {"Tỉnh": "tỉnh", "Thành": "thành phố", "Thị": "thị xã", "Huyện": "huyện",
                   "Quận": "quận"}
# Thành ủy of a centrally-run city is a provincial-level committee
_CENTRAL_CITIES = ("Hà Nội", "Hồ Chí Minh", "Hải Phòng", "Đà Nẵng", "Cần Thơ", "Huế")
_LEVEL_WORD = {"tinh": ("tỉnh",), "thanh_pho": ("thành phố",), "thi_xa": ("thị xã",),
               "huyen": ("huyện", "quận"), "xa": ("xã", "phường", "thị trấn")}
_UP = "A-ZĐÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"
_NAME = (rf"(?:[{_UP}][’'][{_UP}]?\w+(?:\s+[{_UP}]\w*){{0,3}}|"
         rf"[{_UP}]\w*(?:\s+[{_UP}]\w*){{1,4}})")
_CHAIR_PATTERNS = [
    # "đồng chí Bùi Văn Lý, Phó Bí thư Thường trực Thị ủy chủ trì"
    re.compile(rf"(?:đồng chí|đ/c|Đồng chí)\s+(?P<name>{_NAME})\s*(?:,|-)\s*(?P<title>[^;.]{{3,160}}?)"
               r"\s*(?:,\s*[^;.]{0,100}?)?\s*(?:đã\s+|cùng\s+)?(?:chủ trì|chủ trì hội nghị)"),
    # "Các đồng chí Nguyễn Văn Hải, Phó bí thư thường trực Thị ủy, …; Trần … đã chủ trì"
    re.compile(rf"[Cc]ác đồng chí:?\s+(?P<name>{_NAME})\s*,\s*(?P<title>[^;.]{{3,160}}?)\s*;"
               r"[^.]{0,200}?chủ trì"),
    # "dưới sự chủ trì của đồng chí Trần Minh Trí, Phó Bí thư Thường trực Thành ủy"
    re.compile(rf"chủ trì của\s+(?:đồng chí\s+)?(?P<name>{_NAME})\s*(?:,|-)\s*"
               r"(?P<title>[^;.]{3,160}?)\s*(?:[,;.]|$)"),
    # "Phó Bí thư Thường trực Thị ủy Bùi Văn Lý chủ trì"
    re.compile(rf"(?P<title>(?:Phó\s+)?Bí thư(?:\s+[Tt]hường trực)?\s+(?:Tỉnh|Thành|Thị|Huyện|Quận|Đảng)"
               rf"\s+ủy)\s+(?P<name>{_NAME})\s+(?:đã\s+)?chủ trì"),
    # "đồng chí X - Phó Bí thư … dự và chỉ đạo / phát biểu kết luận" (no 'chủ trì')
    re.compile(rf"(?:đồng chí|Đồng chí)\s+(?P<name>{_NAME})\s*(?:,|-)\s*(?P<title>(?:Phó\s+)?Bí thư[^;.]{{0,120}}?)"
               r"\s*(?:,|đã|dự|phát biểu|kết luận)"),
]
_PERIOD = re.compile(
    r"(?P<q>quý\s+(?P<qn>I{1,3}V?|IV|[1-4])(?:\s*(?:/|-|năm)\s*(?P<qy>\d{4}))?)|"
    r"(?P<h>(?P<hn>6|sáu)\s+tháng\s+(?P<hw>đầu|cuối)\s+năm(?:\s+(?P<hy>\d{4}))?)|"
    # "9 tháng đầu năm", "8 tháng năm 2024", "10 tháng năm": the first N months of the year
    r"(?P<n9>(?P<n9n>[1-9]|1[01])\s+tháng(?:\s+đầu)?\s+năm(?:\s+(?P<n9y>\d{4}))?)|"
    r"(?P<m>tháng\s+(?P<mn>\d{1,2})\s*(?:/|-|năm)\s*(?P<my>\d{4}))|"
    r"(?P<y>năm\s+(?P<yy>\d{4}))",
    re.IGNORECASE,
)
_ORG_NAMES = [
    ("Ủy ban MTTQ", r"Ủy ban MTTQ|UBMTTQ|Ủy ban Mặt trận Tổ quốc|MTTQ|Mặt trận"),
    ("Hội LHPN", r"Hội (?:LHPN|Liên hiệp Phụ nữ)|Hội Phụ nữ"),
    ("Đoàn TN", r"Đoàn (?:TN|Thanh niên)|Thị đoàn|Huyện đoàn|Tỉnh đoàn|Thành đoàn"),
    ("Hội Nông dân", r"Hội (?:ND|Nông dân)"),
    ("Hội CCB", r"Hội (?:CCB|Cựu chiến binh)"),
    ("LĐLĐ", r"(?:LĐLĐ|Liên đoàn Lao động)"),
    ("Ban Dân vận", r"Ban Dân vận"),
]


def _proper_name(words: str) -> str | None:
    """The leading capitalised words of `words` ("Đức Phổ để đánh giá" → "Đức Phổ")."""
    out: list[str] = []
    tokens = words.split()
    i = 0
    while i < len(tokens):
        w = tokens[i].strip(",.;:()“”\"")
        if w and out and w.isdigit() and len(w) <= 2:
            out.append(w)  # "Quận 8", "Phường 1"
            break
        if w and w[0].isupper() and w[0].isalpha():
            out.append(w)
            if tokens[i] != w and not tokens[i].endswith("-"):
                break  # punctuation closed the name
        elif w == "-" and out and i + 1 < len(tokens) and tokens[i + 1][:1].isupper():
            out.append("-")
        else:
            break
        i += 1
    while out and out[-1] == "-":
        out.pop()
    return " ".join(out) if out else None


def _fold_same_length(text: str) -> str:
    """Lower-case, diacritic-free copy of `text` with the same length (positions line up)."""
    out = []
    for ch in text:
        base = unicodedata.normalize("NFD", ch)[0]
        out.append("d" if ch in "đĐ" else base.lower())
    return "".join(out)


def normalise_period(match: re.Match, ref_year: int | None) -> dict:
    g = match.groupdict()
    if g["q"]:
        year = int(g["qy"]) if g["qy"] else ref_year
        return {"year": year, "quarter": _ROMAN.get(g["qn"].lower()), "half": None, "month": None}
    if g["h"]:
        year = int(g["hy"]) if g["hy"] else ref_year
        return {"year": year, "quarter": None, "half": 1 if g["hw"].lower() == "đầu" else 2,
                "month": None}
    if g["n9"]:
        year = int(g["n9y"]) if g["n9y"] else ref_year
        months = int(g["n9n"])
        return {"year": year, "quarter": None, "half": None, "month": months, "months": months}
    if g["m"]:
        return {"year": int(g["my"]), "quarter": None, "half": None, "month": int(g["mn"])}
    return {"year": int(g["yy"]), "quarter": None, "half": None, "month": None}


_PARTY_TITLE = re.compile(r"((?:Phó\s+)?Bí thư(?:\s+[Tt]hường trực)?\s+(?:Tỉnh|Thành|Thị|Huyện|Quận|"
                          r"Đảng)\s+ủy(?:\s+(?:xã|phường|thị trấn))?)", re.IGNORECASE)


def _party_title(raw: str) -> str:
    """The Party title only ("Phó Bí thư Thường trực Thị ủy"), without place or other posts."""
    text = normalize_text(raw).strip(" ,-")
    m = _PARTY_TITLE.search(text)
    return m.group(1) if m else text.split(",")[0].strip()


def meeting_facts(title: str, body: str, published: date | None) -> dict:
    title = normalize_text(title)
    lede = normalize_text(body[:900])
    head = f"{title}. {lede}"
    folded = _fold_same_length(head)
    kind = None
    m = re.search(r"\b(truc bao|giao ban)\b", _fold_same_length(title)) or \
        re.search(r"\b(truc bao|giao ban)\b", folded)
    if m:
        kind = "trực báo" if m.group(1) == "truc bao" else "giao ban"
    level = None
    best = None
    for rx, lv in _LEVEL_OF:
        hit = re.search(r"(thuong truc|ban thuong vu|bi thu|tt|btv)\s+" + rx.pattern[2:], folded)
        hit = hit or rx.search(folded)
        if hit and (best is None or hit.start() < best):
            best, level = hit.start(), lv
    locality = None
    if level:
        for cm in _COMMITTEE_NAME.finditer(head):
            name = _proper_name(cm.group(2))
            word = _COMMITTEE_WORD[cm.group(1)]
            if name and level in ("tinh", "thanh_pho", "thi_xa", "huyen"):
                locality = name if name.lower().startswith(word) else f"{word} {name}"
                if cm.group(1) == "Thành" and any(name.endswith(c) for c in _CENTRAL_CITIES):
                    level = "tinh"
                break
        if locality is None:
            wider = head + " " + normalize_text(body[900:4000])
            for lm in _LOCALITY.finditer(wider):
                if lm.group(1).lower() in _LEVEL_WORD[level]:
                    name = _proper_name(lm.group(2))
                    if name:
                        locality = f"{lm.group(1).lower()} {name}"
                        break
    chair = chair_title = None
    unnamed = re.search(r"[Đđ]ồng chí\s+((?:Phó\s+)?Bí thư(?:\s+[Tt]hường trực)?\s+"
                        r"(?:Tỉnh|Thành|Thị|Huyện|Quận|Đảng)\s+ủy(?:\s+(?:xã|phường))?)\s+"
                        r"(?:đã\s+)?chủ trì", lede)
    if unnamed:
        chair_title = unnamed.group(1)
    for rx in ([] if unnamed else _CHAIR_PATTERNS):
        cm = rx.search(lede) or rx.search(normalize_text(body[:3000]))
        if cm:
            chair = cm.group("name").strip()
            chair_title = _party_title(cm.group("title")) if cm.group("title") else None
            break
    period = period_norm = None
    ref_year = published.year if published else None
    found = [pm for source in (title, lede) for pm in _PERIOD.finditer(source)]
    found = [pm for pm in found if not pm.group(0).lower().startswith("năm") or len(found) == 1
             or all(f.group(0).lower().startswith("năm") for f in found)]
    if found:
        # the first period named; the same period with its year wins when one is written
        first = found[0]
        same = [pm for pm in found if pm.group(0).lower().startswith(first.group(0).lower())]
        best = max(same, key=lambda pm: len(pm.group(0)))
        period = best.group(0)
        period = period[0].lower() + period[1:]
        period_norm = normalise_period(best, ref_year)
    meeting_date = None
    lede_start = lede[:300]
    if published:
        yl = parse_yearless(lede_start, published)
        if yl:
            meeting_date = yl.value
    if meeting_date is None:
        dm = re.search(r"(?:[Nn]gày|[Ss]áng|[Cc]hiều|[Tt]ối)\s+(?:ngày\s+)?(\d{1,2}[/.-]\d{1,2}[/.-]\d{4})",
                       lede_start)
        if dm:
            p = parse_date(dm.group(1))
            meeting_date = p.value[:10] if p else None
    orgs = []
    for name, rx in _ORG_NAMES:
        if re.search(rx, head):
            orgs.append(name)
    return {"kind": kind, "level": level, "locality": locality, "chair": chair,
            "chair_title": chair_title, "period": period, "period_norm": period_norm,
            "meeting_date": meeting_date, "orgs": orgs}
