"""Search and facet latency of the real Datasette over a generated million-article archive.

    .venv/bin/python bench/search.py --n 50000        # quick run (about a minute)
    .venv/bin/python bench/search.py                  # 1 000 000 articles (builds for minutes)

Build: N articles generated from templates (63 provinces, ~700 portals at province / city / town /
district level, everyday local news with ~8 % giao ban / trực báo reports, 3 % of those reposted
on the province portal, so stories with two portals exist), written with the project's schema
(db/migrations.py) through sqlite-utils bulk inserts, search rows built by the same
`db.search.index_columns` the Store uses (normalised text + `aggregator.normalize.fold`). The
database is kept in `--dir` (default $TMPDIR/giaoban-bench-search-N/) and reused by later runs.

Measure: `giaoban serve`'s exact Datasette command (aggregator.cli.datasette_command) on it; one
client, sequential HTTP requests on 127.0.0.1; every query is requested once to warm up, then
`--repeat` times; p50 / p95 / max per kind of request. JSON searches carry what Datasette computes
for them (rows, the filtered count, the metadata facets); "HTML" is the page an analyst sees.
A search matching more than 500 articles works on the newest 500 (db/plugins/giaoban_search.py);
searches with a facet filter, and `_search_all=1`, are exact and measured apart. "matched" is the
FTS index's own count of every matching article.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote, unquote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aggregator.cli import datasette_command  # noqa: E402
from aggregator.normalize import fold  # noqa: E402
from db.plugins.giaoban_search import vietnamese_escape_fts  # noqa: E402
from db.search import index_columns, search_key  # noqa: E402
from db.store import Store, content_hash, open_db  # noqa: E402

PROVINCES = [
    "An Giang", "Bà Rịa - Vũng Tàu", "Bạc Liêu", "Bắc Giang", "Bắc Kạn", "Bắc Ninh", "Bến Tre",
    "Bình Dương", "Bình Định", "Bình Phước", "Bình Thuận", "Cà Mau", "Cao Bằng", "Cần Thơ",
    "Đà Nẵng", "Đắk Lắk", "Đắk Nông", "Điện Biên", "Đồng Nai", "Đồng Tháp", "Gia Lai", "Hà Giang",
    "Hà Nam", "Hà Nội", "Hà Tĩnh", "Hải Dương", "Hải Phòng", "Hậu Giang", "Hòa Bình", "Hưng Yên",
    "Khánh Hòa", "Kiên Giang", "Kon Tum", "Lai Châu", "Lạng Sơn", "Lào Cai", "Lâm Đồng",
    "Long An", "Nam Định", "Nghệ An", "Ninh Bình", "Ninh Thuận", "Phú Thọ", "Phú Yên",
    "Quảng Bình", "Quảng Nam", "Quảng Ngãi", "Quảng Ninh", "Quảng Trị", "Sóc Trăng", "Sơn La",
    "Tây Ninh", "Thái Bình", "Thái Nguyên", "Thanh Hóa", "Thừa Thiên Huế", "Tiền Giang",
    "TP Hồ Chí Minh", "Trà Vinh", "Tuyên Quang", "Vĩnh Long", "Vĩnh Phúc", "Yên Bái"]
SYLLABLES = ("An Bình Châu Đức Phổ Hồng Lĩnh Mỹ Hào Quảng Yên Tuy Phong Ba Đồn Kỳ Sa Pa Hoài Nhơn "
             "Ninh Hòa Đông Triều Chí Linh Phú Xuyên Thanh Oai Định Hóa Lục Ngạn Cầu Kè Chợ Gạo "
             "Di Mường Krông Pắc Tây Giang Thuận Điền Hải Hậu Lộc Vĩnh Tân Long Hưng Thới Sơn "
             "Tiên Lãng Cẩm Khê Đoan Hùng Yên Lạc Nghĩa Hành Tư Nghĩa Trà Bồng Đại Từ Võ Nhai").split()
FAMILY = "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đinh Trương".split()
MIDDLE = "Văn Thị Hữu Đức Minh Quốc Thanh Ngọc Xuân Hồng Quang Công".split()
GIVEN = ("Hùng Hải Lý Thắng Hằng Chỉnh Khánh Tuấn An Bình Cường Dũng Giang Hà Hòa Lan Long Mai "
         "Nam Phong Quân Sơn Tâm Thảo Trung Vinh Yến Đạt Đông Hiếu Khoa Loan Nga Oanh Phúc").split()
LEVELS = [("thanh_pho", "thành phố", "Thành ủy"), ("thi_xa", "thị xã", "Thị ủy"),
          ("huyen", "huyện", "Huyện ủy")]
ROMAN = ["I", "II", "III", "IV"]
TOPICS = {
    "nông nghiệp": [
        "Bà con nông dân {place} đang tập trung thu hoạch lúa {season} với năng suất ước đạt {n} tạ/ha.",
        "Hội Nông dân {place} hướng dẫn hội viên chuyển đổi cơ cấu cây trồng, trồng hoa và rau an toàn.",
        "Mô hình trồng {crop} theo hướng hữu cơ mang lại thu nhập {n} triệu đồng mỗi năm cho bà con.",
        "Ngành nông nghiệp khuyến cáo người dân chủ động phòng trừ sâu bệnh, bảo đảm hòa hợp với thời vụ.",
    ],
    "hạ tầng": [
        "Công trình đường giao thông nông thôn dài {n} km tại {place} đã hoàn thành và đưa vào sử dụng.",
        "UBND {place} đẩy nhanh tiến độ giải phóng mặt bằng dự án khu dân cư, bảo đảm quyền lợi người dân.",
        "Tổng vốn đầu tư công năm {year} của {place} đạt {n} tỷ đồng, tập trung cho hạ tầng đô thị.",
        "Chủ đầu tư cam kết hoàn thành cầu dân sinh trước mùa mưa lũ, hiện đại hóa hệ thống thoát nước.",
    ],
    "văn hóa": [
        "Lễ hội truyền thống {place} năm {year} thu hút hàng nghìn lượt du khách tham quan.",
        "Phong trào Toàn dân đoàn kết xây dựng đời sống văn hóa tiếp tục được đẩy mạnh ở khu dân cư.",
        "Hội thi cắm hoa nghệ thuật chào mừng ngày Phụ nữ Việt Nam có {n} đội tham gia.",
        "Đoàn nghệ thuật biểu diễn chương trình ca múa nhạc phục vụ nhân dân các xã vùng cao.",
    ],
    "an sinh": [
        "Dịp Tết Nguyên đán, {place} trao {n} suất quà cho hộ nghèo, gia đình chính sách.",
        "Quỹ Vì người nghèo {place} vận động được {n} triệu đồng, hỗ trợ xây dựng nhà đại đoàn kết.",
        "Tổ hòa giải ở cơ sở giải quyết thành công {n} vụ việc, giữ gìn tình làng nghĩa xóm hòa thuận.",
        "Bảo hiểm xã hội {place} đẩy mạnh phát triển người tham gia bảo hiểm y tế hộ gia đình.",
    ],
    "giáo dục": [
        "Năm học {year}, toàn {place} có {n} trường đạt chuẩn quốc gia.",
        "Lễ khai giảng năm học mới được tổ chức trang trọng tại các trường học trên địa bàn {place}.",
        "Hội Khuyến học {place} trao học bổng cho {n} học sinh nghèo vượt khó học giỏi.",
    ],
}
MEETING = [
    "Ngày {d}, Thường trực {committee} {place} tổ chức hội nghị {kind} với Ủy ban MTTQ và các đoàn "
    "thể chính trị - xã hội {place} đánh giá kết quả hoạt động {period}.",
    "Đồng chí {chair}, Phó Bí thư Thường trực {committee} chủ trì hội nghị.",
    "Trong {period}, MTTQ và các đoàn thể đã bám sát nhiệm vụ chính trị, đẩy mạnh tuyên truyền, vận "
    "động đoàn viên, hội viên và nhân dân thực hiện các phong trào thi đua yêu nước.",
    "Các tổ chức chính trị - xã hội tích cực tham gia xây dựng Đảng, chính quyền trong sạch, vững "
    "mạnh; phối hợp nắm bắt tình hình tư tưởng nhân dân trên địa bàn.",
    "Phát biểu kết luận, đồng chí {chair} đề nghị Mặt trận và các đoàn thể tiếp tục đổi mới nội "
    "dung, phương thức hoạt động, hướng mạnh về cơ sở, làm tốt công tác giám sát và phản biện xã hội.",
    "Đảng ủy các xã, thị trấn và Ban Dân vận {committee} cần duy trì chế độ giao ban định kỳ, kịp "
    "thời tổng hợp kiến nghị của đoàn viên, hội viên.",
]
CROPS = "lúa ngô sắn chè cà phê hồ tiêu bưởi cam vải nhãn".split()
SEASONS = ["đông xuân", "hè thu", "mùa", "chiêm xuân"]

SEARCHES = {  # kind -> queries an analyst types
    "accented": ["trực báo", "giao ban quý II", "{chair}", "hòa giải", "nông thôn mới",
                 "Thường trực Huyện ủy", "an sinh xã hội", "Hà Tĩnh"],
    "unaccented": ["truc bao", "giao ban quy II", "{chair_folded}", "hoa giai", "nong thon moi",
                   "thuong truc huyen uy", "an sinh xa hoi", "ha tinh"],
    "đ → d": ["doan the", "dang uy", "dan van", "dai doan ket", "dong chi", "dau tu cong",
              "Doan Hung", "duong giao thong"],
    "mixed tone": ["Huyện uỷ giao ban", "Thị uỷ trực báo", "Ủy ban MTTQ", "hoà giải",
                   "Thành uỷ", "Đảng uỷ các xã", "khoẻ", "hoà thuận"],
}


def person(rng: random.Random) -> str:
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def make_sources(rng: random.Random) -> list[dict]:
    sources = []
    for p_index, province in enumerate(PROVINCES):
        sources.append({"name": f"p{p_index:02d}", "host": f"p{p_index:02d}.gov.vn",
                        "family": "liferay62", "level": "tinh", "province": province,
                        "locality": f"tỉnh {province}", "committee": "Tỉnh ủy",
                        "chairs": [person(rng) for _ in range(2)]})
        for u in range(rng.randint(8, 13)):
            code, label, committee = rng.choice(LEVELS)
            name = " ".join(rng.sample(SYLLABLES, 2))
            sources.append({"name": f"p{p_index:02d}u{u:02d}", "host": f"p{p_index:02d}u{u:02d}.gov.vn",
                            "family": rng.choice(["sharepoint", "tandan", "liferay62", "vcms"]),
                            "level": code, "province": province, "locality": f"{label} {name}",
                            "committee": committee, "chairs": [person(rng) for _ in range(3)]})
    return sources


def make_article(i: int, rng: random.Random, source: dict, start: datetime) -> dict:
    published = start + timedelta(minutes=rng.randint(0, 60 * 24 * 365 * 10))
    place = source["locality"]
    relevant = rng.random() < 0.08
    row = {"id": i, "source": source["name"], "province": source["province"],
           "published": published.strftime("%Y-%m-%dT%H:%M:00+07:00"), "relevant": int(relevant),
           "family": source["family"], "revision": 1, "images": "[]", "author": person(rng)}
    if relevant:
        kind = "giao ban" if rng.random() < 0.7 else "trực báo"
        quarter = rng.randint(1, 4)
        period = f"quý {ROMAN[quarter - 1]}/{published.year}"
        chair = rng.choice(source["chairs"])
        met = published - timedelta(days=rng.randint(0, 2))
        fill = {"d": f"{met.day}-{met.month}", "committee": source["committee"], "place": place,
                "kind": kind, "period": period, "chair": chair}
        sentences = [s.format(**fill) for s in MEETING]
        tail = sentences[2:]
        rng.shuffle(tail)
        sentences = sentences[:2] + tail
        title = f"Thường trực {source['committee']} {kind} với MTTQ và các đoàn thể {period}"
        row.update({"meeting_kind": kind, "level": source["level"], "locality": place,
                    "chair": chair, "chair_title": f"Phó Bí thư Thường trực {source['committee']}",
                    "period": period, "period_year": published.year, "period_quarter": quarter,
                    "meeting_date": met.date().isoformat(), "relevance_score": 9.0})
    else:
        topic = rng.choice(list(TOPICS))
        pool = TOPICS[topic] + TOPICS[rng.choice(list(TOPICS))]
        sentences = [rng.choice(pool).format(place=place, n=rng.randint(2, 900), year=published.year,
                                             crop=rng.choice(CROPS), season=rng.choice(SEASONS))
                     for _ in range(rng.randint(4, 9))]
        title = sentences[0].split(",")[0][:90]
        row.update({"level": source["level"], "relevance_score": float(rng.randint(0, 4))})
    cut = max(1, len(sentences) // 2)
    row["title"] = title
    row["body"] = " ".join(sentences[:cut]) + "\n\n" + " ".join(sentences[cut:])
    row["url"] = f"https://{source['host']}/tin-tuc/"  # the writer appends "<id>.html"
    return row


CHUNK = 10_000  # stories generated per worker task


def make_chunk(task: tuple[int, int]) -> list[list[tuple[dict, tuple, str]]]:
    """One chunk of stories, each a list of copies (row, search columns, content hash).

    Runs in a worker process: the search columns (index_columns: normalise + fold) and hashes are
    most of the build's CPU time. Ids are given by the writer, in order.
    """
    seed, chunk = task
    rng = random.Random(seed * 1_000_003 + chunk)
    sources = make_sources(random.Random(seed))
    by_province = {s["province"]: s for s in sources if s["level"] == "tinh"}
    start = datetime(2015, 1, 1, 7)
    out = []
    for _ in range(CHUNK):
        source = rng.choice(sources)
        a = make_article(0, rng, source, start)
        copies = [a]
        if a["relevant"] and source["level"] != "tinh" and rng.random() < 0.03:
            province = by_province[source["province"]]
            copies.append(dict(a, source=province["name"], url=f"https://{province['host']}/tin/",
                               published=a["published"][:10]))
        out.append([(c, index_columns(c["title"], c["body"]), content_hash(c["body"]))
                    for c in copies])
    return out


def build(path: Path, n: int, seed: int = 6, workers: int | None = None) -> None:
    """Write the archive: articles, search rows, stories, URLs and sources, in big batches."""
    db = open_db(path)  # the project's schema (migrations)
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -512000")
    sources = make_sources(random.Random(seed))
    db["sources"].insert_all([{k: v for k, v in s.items() if k not in ("committee", "chairs")}
                              for s in sources], pk="name")
    now = datetime.now().isoformat(timespec="seconds")
    started, next_id, story_id = time.monotonic(), 1, 0
    tasks = ((seed, i) for i in range(n // CHUNK + 2))
    with multiprocessing.Pool(workers or os.cpu_count() or 1) as pool:
        for chunk in pool.imap(make_chunk, tasks):
            articles, fts, stories, urls = [], [], [], []
            for copies in chunk:
                if next_id + len(copies) - 1 > n:
                    break
                story_id += 1
                for row, columns, chash in copies:
                    url = f"{row['url']}{next_id}.html"
                    key = search_key(next_id, row["published"], now)
                    articles.append(dict(row, id=next_id, url=url, story_id=story_id,
                                         content_hash=chash, first_seen=now, last_seen=now,
                                         updated=now, search_key=key))
                    fts.append((key, *columns))
                    urls.append({"url": url, "article_id": next_id, "kind": "canonical",
                                 "first_seen": now, "last_seen": now})
                    next_id += 1
                first = copies[0][0]
                stories.append({"story_id": story_id, "article_id": next_id - len(copies),
                                "n_articles": len(copies), "n_sources": len(copies),
                                "first_published": first["published"], "title": first["title"],
                                "relevant": first["relevant"]})
            with db.atomic():
                db["stories"].insert_all(stories, batch_size=5000)
                db["articles"].insert_all(articles, batch_size=2000)
                db.conn.executemany("INSERT INTO articles_fts (rowid, title, body, title_fold, "
                                    "body_fold) VALUES (?, ?, ?, ?, ?)", fts)
                db["article_urls"].insert_all(urls, batch_size=5000)
            rate = (next_id - 1) / (time.monotonic() - started)
            print(f"\r  {next_id - 1:>9,} / {n:,} articles  {rate:,.0f}/s", end="",
                  file=sys.stderr, flush=True)
            if next_id > n or len(stories) < len(chunk):
                pool.terminate()
                break
    print(file=sys.stderr)
    db.close()


# -- measuring --------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def timed_get(url: str) -> tuple[float, bytes]:
    """(milliseconds, body); a query Datasette interrupted (its 3 s limit: HTTP 400) counts
    as the time it took, with an empty body."""
    t = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=120) as r:
            body = r.read()
    except urllib.error.HTTPError as e:
        if e.code != 400:
            raise
        body = b""
        print(f"    interrupted: {unquote(url)}", file=sys.stderr)
    return (time.perf_counter() - t) * 1000, body


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def measure(base: str, db_path: Path, repeat: int) -> tuple[list[dict], list[tuple]]:
    con = sqlite3.connect(db_path)
    n = con.execute("SELECT max(id) FROM articles").fetchone()[0]
    province = con.execute("SELECT province FROM meetings GROUP BY province ORDER BY count(*) "
                           "DESC LIMIT 1").fetchone()[0]
    chair = con.execute("SELECT chair FROM meetings GROUP BY chair ORDER BY count(*) DESC "
                        "LIMIT 1").fetchone()[0]  # a name an analyst would look up

    def matches(query: str) -> int:
        """Every article the search matches (the FTS index's own count)."""
        return con.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?",
                           [vietnamese_escape_fts(query)]).fetchone()[0]

    q = quote
    kinds: dict[str, list[tuple[str, str | None]]] = {}  # kind -> [(path, query)]
    every = []
    for kind, queries in SEARCHES.items():
        queries = [x.format(chair=chair, chair_folded=fold(chair)) for x in queries]
        kinds[f"search JSON, {kind}"] = [
            (f"/giaoban/articles.json?_search={q(x)}&_shape=objects", x) for x in queries]
        every += queries
    kinds["search HTML page"] = [
        (f"/giaoban/articles?_search={q(x)}", x) for x in
        ["truc bao", "Thị uỷ trực báo", "doan the", chair, "hoa giai"]]
    filtered = ["truc bao", "doan the", "hoa giai", "dan van"]
    kinds["search + a facet filter, JSON"] = [
        (f"/giaoban/articles.json?_search={q(x)}&_shape=objects&province={q(province)}", None)
        for x in filtered] + [
        (f"/giaoban/articles.json?_search={q(x)}&_shape=objects&relevant=1", None)
        for x in filtered]
    kinds["search, every match (`_search_all=1`), JSON"] = [
        (f"/giaoban/articles.json?_search={q(x)}&_shape=objects&_search_all=1", x)
        for x in ["truc bao", "nong thon moi", "doan the", "dang uy"]]  # "dan van" (430 000) > 3 s
    kinds["facets: meetings (view)"] = [(p, None) for p in [
        "/giaoban/meetings", f"/giaoban/meetings?province={q(province)}",
        "/giaoban/meetings?level=huyen&kind=" + q("trực báo"), "/giaoban/meetings?period_year=2022"]]
    kinds["facets: articles filtered"] = [(p, None) for p in [
        f"/giaoban/articles?province={q(province)}", "/giaoban/articles?relevant=1&level=thi_xa",
        f"/giaoban/articles?province={q(province)}&relevant=1"]]
    kinds["facets: articles, all rows"] = [("/giaoban/articles", None)]
    kinds["article page"] = [(f"/-/article/{i}", None) for i in (1, n // 2, n - 1)]
    kinds["chart"] = [("/-/chart", None), (f"/-/chart?province={q(province)}", None)]
    results, per_query = [], []
    for kind, paths in kinds.items():
        times, hits = [], []
        for path, query in paths:
            _, body = timed_get(base + path)  # warm-up
            if query is not None:
                hits.append(matches(query))
            elif path.split("?")[0].endswith(".json"):
                hits.append(json.loads(body).get("filtered_table_rows_count") if body else None)
            mine = [timed_get(base + path)[0] for _ in range(repeat)]
            times += mine
            if query is not None and path.split("?")[0].endswith(".json"):
                per_query.append((hits[-1], "_search_all=1" in path, mine))
            print(f"    {statistics.median(mine):7.0f} ms  {hits[-1] if hits else '':>8}  "
                  f"{unquote(path)}", file=sys.stderr, flush=True)
        hits = [h for h in hits if h is not None]
        results.append({"kind": kind, "requests": len(times), "queries": len(paths),
                        "hits": int(statistics.median(hits)) if hits else None,
                        "p50": statistics.median(times), "p95": pct(times, 95),
                        "max": max(times)})
        print(f"  {kind}: p95 {results[-1]['p95']:.0f} ms", file=sys.stderr, flush=True)
    con.close()
    return results, per_query


BANDS = [(0, 500), (500, 30_000), (30_000, 100_000), (100_000, 10**9)]


def by_hits(per_query: list[tuple[int, bool, list[float]]]) -> list[str]:
    """Search latency by how many articles the query matches: bounded by the newest-500
    window by default, growing with the matches when every match is asked for."""
    lines = ["| articles matched | searches | p50 ms | p95 ms | `_search_all=1` searches | "
             "p50 ms | p95 ms |", "|---|---:|---:|---:|---:|---:|---:|"]
    for low, high in BANDS:
        window = [t for h, every, ts in per_query if not every and low <= h < high for t in ts]
        exact = [t for h, every, ts in per_query if every and low <= h < high for t in ts]
        if not window and not exact:
            continue
        n_window = len({(h, e) for h, e, _ in per_query if not e and low <= h < high})
        n_exact = len({(h, e) for h, e, _ in per_query if e and low <= h < high})
        label = f"{low:,} – {high:,}" if high < 10**9 else f"≥ {low:,}"

        def cells(ts: list[float]) -> str:
            return f"{statistics.median(ts):.0f} | {pct(ts, 95):.0f}" if ts else "- | -"

        lines.append(f"| {label} | {n_window} | {cells(window)} | {n_exact} | {cells(exact)} |")
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="articles to generate")
    ap.add_argument("--dir", type=Path, default=None,
                    help="where the archive is built and kept (default $TMPDIR/giaoban-bench-search-N)")
    ap.add_argument("--repeat", type=int, default=5, help="timed requests per URL")
    ap.add_argument("--rebuild", action="store_true", help="rebuild even if the archive exists")
    args = ap.parse_args()
    # a SIGTERM must still stop the Datasette this script started (the finally below)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    folder = args.dir or Path(tempfile.gettempdir()) / f"giaoban-bench-search-{args.n}"
    path = folder / "giaoban.db"  # the name Datasette and metadata.yaml expect
    if args.rebuild and folder.exists():
        shutil.rmtree(folder)
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        t = time.monotonic()
        print(f"building {args.n:,} articles in {path}", file=sys.stderr)
        try:
            build(path, args.n)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        print(f"  built in {time.monotonic() - t:.0f} s, {path.stat().st_size / 2**30:.2f} GiB",
              file=sys.stderr)
    store = Store(path)  # pending migrations and planner statistics, as `giaoban serve` does
    store.analyze()
    store.close()
    n = sqlite3.connect(path).execute("SELECT count(*) FROM articles").fetchone()[0]
    port = free_port()
    log = open(folder / "datasette.log", "wb")
    proc = subprocess.Popen(datasette_command(str(path), port), cwd=ROOT, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"Datasette did not start; see {folder / 'datasette.log'}")
                time.sleep(0.3)
        load_before = os.getloadavg()[0]
        results, per_query = measure(base, path, args.repeat)
        load_after = os.getloadavg()[0]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()
    cpu = os.cpu_count()
    print(f"\nDatasette over {n:,} generated articles ({path.stat().st_size / 2**30:.2f} GiB), "
          f"{cpu} CPUs, one sequential client, {args.repeat} timed requests per URL after a "
          f"warm-up; 1-minute load average {load_before:.1f} before, {load_after:.1f} after "
          f"(other work on the machine inflates the figures); target p95 < 100 ms for "
          f"searches\n")
    print("| request | URLs | requests | median matches | p50 ms | p95 ms | max ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        hits = f"{r['hits']:,}" if r["hits"] is not None else "-"
        print(f"| {r['kind']} | {r['queries']} | {r['requests']} | {hits} | {r['p50']:.0f} | "
              f"{r['p95']:.0f} | {r['max']:.0f} |")
    print("\nSearches (JSON) by the number of articles they match:\n")
    print("\n".join(by_hits(per_query)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
