"""Vietnamese dates: a pre-normaliser in front of dateparser.

Portals print dates in two dozen shapes ("Cập nhật lúc: 18:47 01/10/2019", "Đăng ngày 15 - 10 -
2021", "Thứ ba, 18 Tháng 8 2015 16:06", "03/04/2020 | 10:36 PM", "2025-05-09 17:36:00.0",
"14 giờ 30 phút"). The shapes seen on real portals are read by the regular expressions below —
always day-first, always Asia/Ho_Chi_Minh, time kept when shown; anything else goes to dateparser
with Vietnamese settings after the labels and weekdays have been stripped. Year-less event dates
("Ngày 1-4", "Chiều 3-7") are resolved against a reference date and never land in the future.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

__all__ = ["ParsedDate", "parse_date", "parse_yearless", "find_dates", "VN_TZ"]

VN_TZ = timezone(timedelta(hours=7))

_LABELS = re.compile(
    r"(cập nhật(?: lúc| ngày)?|ngày đăng|đăng ngày|đăng lúc|ngày cập nhật|thời gian|ngày|"
    r"posted on|published|updated|print|gốc|gmt\s*\+\s*0?7(?::00)?|\(gmt\s*\+\s*0?7\))\s*:?",
    re.IGNORECASE,
)
_WEEKDAY = re.compile(
    r"\b(thứ\s*(hai|ba|tư|tu|năm|nam|sáu|sau|bảy|bay|[2-7])|chủ\s*nhật|cn)\b", re.IGNORECASE
)
_DMY = re.compile(r"(?<!\d)(\d{1,2})\s*([/.\-])\s*(\d{1,2})\s*\2\s*(\d{4})(?!\d)")
_YMD = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2}))?"
                  r"(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?)?(?!\d)")
_LONG = re.compile(r"(?<!\d)(\d{1,2})\s+tháng\s+(\d{1,2})\s*,?\s*(?:năm\s+)?(\d{4})(?!\d)",
                   re.IGNORECASE)
_TIME = re.compile(
    r"(?<![\d/.\-])(\d{1,2})\s*(?::|h|giờ|g)\s*(\d{2})?(?:\s*(?::|phút)\s*(\d{2}))?"
    r"(?:\s*(?:phút|giây))?\s*(am|pm|sa|ch)?(?![\d/.\-])",
    re.IGNORECASE,
)
_YEARLESS = re.compile(
    r"(?:(?:sáng|chiều|trưa|tối|đêm|ngày|hôm)\s+"
    # a weekday may come first: "Chiều thứ Năm (12/9)", "Sáng Chủ nhật, 3-3"
    r"(?:(?:thứ\s+(?:hai|ba|tư|năm|sáu|bảy|[2-7])|chủ\s+nhật)\s*[,(]?\s*(?:ngày\s+)?|"
    r"ngày\s+|nay\s*\(?\s*)?)"
    r"(\d{1,2})\s*([/.\-])\s*(\d{1,2})(?!\d)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ParsedDate:
    value: str        # "YYYY-MM-DDTHH:MM:SS+07:00" or "YYYY-MM-DD"
    has_time: bool
    raw: str
    source: str = ""  # where it was read: meta:<name>, label, selector:<css>, lede, listing, url

    @property
    def day(self) -> date:
        return date.fromisoformat(self.value[:10])

    def with_source(self, source: str) -> "ParsedDate":
        return ParsedDate(self.value, self.has_time, self.raw, source)


def _mk(y: int, m: int, d: int) -> date | None:
    if not (1990 <= y <= 2100):
        return None
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _time_from(text: str) -> tuple[int, int, int] | None:
    for m in _TIME.finditer(text):
        h, mi, s, ampm = m.group(1), m.group(2), m.group(3), m.group(4)
        sep = m.group(0)
        if mi is None and not re.search(r"h|giờ|g", sep, re.IGNORECASE):
            continue
        if mi is None and not ampm and not re.search(r"\d\s*(h|giờ)\b", sep, re.I):
            continue
        hour, minute, sec = int(h), int(mi or 0), int(s or 0)
        if ampm:
            a = ampm.lower()
            if hour > 12:
                continue
            if a in ("pm", "ch") and hour != 12:
                hour += 12
            if a in ("am", "sa") and hour == 12:
                hour = 0
        if hour <= 23 and minute <= 59 and sec <= 59:
            return hour, minute, sec
    return None


def _fmt(d: date, t: tuple[int, int, int] | None) -> tuple[str, bool]:
    if t is None:
        return d.isoformat(), False
    return f"{d.isoformat()}T{t[0]:02d}:{t[1]:02d}:{t[2]:02d}+07:00", True


def _prepare(raw: str) -> str:
    text = unicodedata.normalize("NFC", raw).replace("\xa0", " ")
    text = re.sub(r"[\u2010-\u2015\u2212]", "-", text)
    return re.sub(r"\s+", " ", text).strip()


def _offset(tz: str) -> timezone | None:
    """"Z", "+07:00", "-0530" as a timezone; None for offsets no clock uses ("-2360")."""
    if tz == "Z":
        return timezone.utc
    hours, minutes = int(tz[1:3]), int(tz[-2:])
    if hours > 14 or minutes > 59:
        return None
    sign = -1 if tz[0] == "-" else 1
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_date(raw: str | None, *, date_only: bool = False) -> ParsedDate | None:
    """Parse one date string as printed by a portal; None when it holds no full date."""
    if not raw:
        return None
    text = _prepare(raw)
    if len(text) > 300:
        text = text[:300]
    m = _YMD.search(text)
    if m:
        d = _mk(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if d:
            t = None
            if m.group(4) is not None:
                hh, mm, ss = int(m.group(4)), int(m.group(5)), int(m.group(6) or 0)
                tz = m.group(7)
                dt = datetime(d.year, d.month, d.day, min(hh, 23), min(mm, 59), min(ss, 59))
                off = _offset(tz) if tz else None
                if off is not None:
                    dt = dt.replace(tzinfo=off).astimezone(VN_TZ).replace(tzinfo=None)
                if not 1990 <= dt.year <= 2100:
                    return None  # 2100-12-31T23:00-05:00 is already 2101 in Hà Nội
                d, t = dt.date(), (dt.hour, dt.minute, dt.second)
            rest = text[: m.start()] + " " + text[m.end():]
            if t is None:
                t = _time_from(rest)
            value, has_time = _fmt(d, None if date_only else t)
            return ParsedDate(value, has_time, raw)
    for rx, order in ((_DMY, (1, 3, 4)), (_LONG, (1, 2, 3))):
        m = rx.search(text)
        if not m:
            continue
        day, month, year = (int(m.group(i)) for i in order)
        d = _mk(year, month, day)
        if not d:
            continue
        rest = text[: m.start()] + " | " + text[m.end():]
        rest = _WEEKDAY.sub(" ", rest)
        t = None if date_only else _time_from(rest)
        value, has_time = _fmt(d, t)
        return ParsedDate(value, has_time, raw)
    return _dateparser_fallback(text, raw, date_only)


def _dateparser_fallback(text: str, raw: str, date_only: bool) -> ParsedDate | None:
    cleaned = _WEEKDAY.sub(" ", _LABELS.sub(" ", text))
    cleaned = re.sub(r"[|(),]", " ", cleaned).strip()
    if not re.search(r"\d{4}", cleaned):
        return None  # no year: not a full date (see parse_yearless)
    import dateparser  # slow to import; only needed for shapes the regexes do not know

    dt = dateparser.parse(
        cleaned,
        languages=["vi", "en"],
        settings={"DATE_ORDER": "DMY", "PREFER_DAY_OF_MONTH": "first",
                  "REQUIRE_PARTS": ["day", "month", "year"], "TIMEZONE": "Asia/Ho_Chi_Minh",
                  "RETURN_AS_TIMEZONE_AWARE": False},
    )
    if dt is None or not (1990 <= dt.year <= 2100):
        return None
    has_time = bool(_time_from(cleaned)) and not date_only
    value, has_time = _fmt(dt.date(), (dt.hour, dt.minute, dt.second) if has_time else None)
    return ParsedDate(value, has_time, raw)


def parse_yearless(text: str, ref: date) -> ParsedDate | None:
    """Resolve "Ngày 1-4", "Chiều 3-7", "Sáng 24.11", "Chiều ngày 06/10" against `ref`.

    A full date with a year in the same phrase wins. The year is `ref`'s, or the year before when
    that would put the event after `ref` (an event is reported after it happened).
    """
    text = _prepare(text)
    m = _YEARLESS.search(text)
    if not m:
        return None
    after = text[m.end(): m.end() + 8]
    full = re.match(r"\s*[/.\-]\s*(\d{4})", after)
    day, month = int(m.group(1)), int(m.group(3))
    if full:
        d = _mk(int(full.group(1)), month, day)
    else:
        d = _mk(ref.year, month, day)
        if d and d > ref:
            d = _mk(ref.year - 1, month, day)
    if not d:
        return None
    return ParsedDate(d.isoformat(), False, m.group(0))


def find_dates(text: str) -> list[tuple[int, ParsedDate]]:
    """Every full date in a text with its position (for scanning meta lines and ledes)."""
    out: list[tuple[int, ParsedDate]] = []
    prepared = _prepare(text)
    for rx in (_DMY, _YMD, _LONG):
        for m in rx.finditer(prepared):
            # take the date with the time that sits right next to it
            window = prepared[max(0, m.start() - 12): m.end() + 16]
            parsed = parse_date(window)
            if parsed:
                out.append((m.start(), parsed))
    out.sort(key=lambda p: p[0])
    return out
