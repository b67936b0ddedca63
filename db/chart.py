"""Briefings per month by province and level, drawn server-side as one inline SVG.

No JavaScript and nothing fetched: small multiples (one panel per province, one shared y scale so
panels compare), bars stacked by the committee's level, a <title> on every bar for hover.
"""

from __future__ import annotations

from collections import defaultdict

from markupsafe import escape

__all__ = ["LEVELS", "months_between", "svg_chart"]

LEVELS = {  # contract level code -> (label, colour)
    "tinh": ("tỉnh", "#1f77b4"), "thanh_pho": ("thành phố", "#ff7f0e"),
    "thi_xa": ("thị xã", "#2ca02c"), "huyen": ("huyện", "#d62728"), "xa": ("xã", "#9467bd"),
    "": ("unknown", "#7f7f7f"),
}
_PANEL_H, _TOP, _LEFT, _RIGHT = 110, 34, 150, 16


def months_between(first: str, last: str) -> list[str]:
    """Every 'YYYY-MM' from first to last inclusive, so empty months show as gaps."""
    y, m = int(first[:4]), int(first[5:7])
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def svg_chart(rows: list[tuple[str, str, str, int]]) -> str:
    """SVG of (month, province, level, n) rows — the `briefings_per_month` canned query: one panel per province, stacked bars per month by level."""
    rows = [(mo, p, lv if lv in LEVELS else "", int(n)) for mo, p, lv, n in rows
            if mo and len(mo) == 7]
    if not rows:
        return ('<svg xmlns="http://www.w3.org/2000/svg" width="400" height="40" role="img" '
                'aria-label="no briefings"><text x="10" y="25">No briefings to chart.</text></svg>')
    months = months_between(min(r[0] for r in rows), max(r[0] for r in rows))
    index = {m: i for i, m in enumerate(months)}
    cells: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for month, province, level, n in rows:
        cells[province][month][level] = cells[province][month].get(level, 0) + n
    totals = {p: sum(sum(v.values()) for v in by_month.values()) for p, by_month in cells.items()}
    provinces = sorted(cells, key=lambda p: (-totals[p], p))
    peak = max(sum(v.values()) for by_month in cells.values() for v in by_month.values())
    bar = max(3.0, min(24.0, 860 / len(months)))
    width = _LEFT + bar * len(months) + _RIGHT
    height = _TOP + _PANEL_H * len(provinces) + 24
    levels_used = [lv for lv in LEVELS if any(lv in v for bm in cells.values() for v in bm.values())]
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height}" '
           f'viewBox="0 0 {width:.0f} {height}" role="img" font-family="sans-serif" '
           f'font-size="11" aria-label="Briefings per month by province and level">']
    x = _LEFT
    for level in levels_used:  # legend
        label, colour = LEVELS[level]
        out.append(f'<rect x="{x}" y="8" width="12" height="12" fill="{colour}"/>'
                   f'<text x="{x + 16}" y="18">{escape(label)}</text>')
        x += 24 + 7 * len(label)
    plot_h = _PANEL_H - 30
    for row, province in enumerate(provinces):
        top = _TOP + row * _PANEL_H
        base = top + plot_h
        out.append(f'<g class="panel" data-province="{escape(province)}">'
                   f'<text x="{_LEFT - 8}" y="{top + plot_h / 2:.0f}" text-anchor="end" '
                   f'font-weight="bold">{escape(province or "unknown")}</text>'
                   f'<text x="{_LEFT - 8}" y="{top + plot_h / 2 + 14:.0f}" text-anchor="end" '
                   f'fill="#555">{totals[province]} in all</text>'
                   f'<line x1="{_LEFT}" y1="{base}" x2="{width - _RIGHT:.0f}" y2="{base}" '
                   f'stroke="#999"/>'
                   f'<text x="{_LEFT - 2}" y="{top + 9}" text-anchor="end" fill="#777">{peak}</text>')
        for month, by_level in sorted(cells[province].items()):
            y = float(base)
            for level in LEVELS:
                n = by_level.get(level)
                if not n:
                    continue
                h = plot_h * n / peak
                y -= h
                out.append(f'<rect x="{_LEFT + index[month] * bar + 0.5:.1f}" y="{y:.1f}" '
                           f'width="{max(bar - 1, 1):.1f}" height="{h:.1f}" '
                           f'fill="{LEVELS[level][1]}"><title>{escape(province or "unknown")} · '
                           f'{escape(LEVELS[level][0])} · {month}: {n}</title></rect>')
        for month in months:  # year ticks under every panel (Januaries, and the first month)
            if not (month.endswith("-01") or month == months[0]):
                continue
            tx = _LEFT + index[month] * bar
            out.append(f'<line x1="{tx:.1f}" y1="{base}" x2="{tx:.1f}" y2="{base + 4}" '
                       f'stroke="#999"/>')
            room = (13 - int(month[5:7])) * bar  # to the next January's label
            if month.endswith("-01") or room >= 32:
                out.append(f'<text x="{tx:.1f}" y="{base + 15}" fill="#555">{month[:4]}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)
