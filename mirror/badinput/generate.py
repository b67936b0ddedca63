"""The bad-input corpus: what old government portals really serve, as ~520 mirror routes.

Deterministic (seeded by category and number) and generated when the mirror starts, so the
repository holds no 20 MB page and no gzip bomb: `routes(config)` returns route dicts for
scrapers/mirror.py (inline `body`, `status`, `fault`, `delay`, `fail_first`, …). Every corpus
route says what a crawl must make of it under `expect`:

    {"outcome": "article"}                      stored (title and date in site.yaml `expect`)
    {"outcome": "error", "reason": REGEX}       a `pages` row, page_type error/skipped, error ~ REGEX
    {"outcome": "not_article", "reason": REGEX} a `pages` row, not an article, error ~ REGEX
    {"outcome": "redirect", "reason": REGEX, "group": [urls]}
                                                one URL of the redirect group carries the reason

Categories (folder names are the listing pages under /bad/portal/folder/<cat>/1.html):
tin-tot (good articles delivered badly), xss (script-injection probes, stored and displayed
safely), bi-cat (truncated), the-hong (malformed tag soup), trang-trong (empty bodies),
nhi-phan (binary as HTML), qua-lon (over DOWNLOAD_MAXSIZE), bom-nen (decompression bombs),
cham (timeouts), loi-http (4xx/5xx), chuyen-huong (redirect loops, chains, off-host),
khong-cho-phep (robots.txt), long-sau (deep DOM), bat-thuong (pathological markup),
mat-ket-noi (data loss, resets, garbage). Traps: /bad/portal/folder/vo-tan/<n>.html and
/bad/portal/tin-moi.html?trang=<n> paginate for ever, /bad/portal/lich-cong-tac.html is a
calendar, session-id links.

`@@offhost@@` in a body or location is replaced by the mirror with another origin (another
host: a crawl must never go there).
"""

from __future__ import annotations

import gzip
import html
import random
from pathlib import Path
from urllib.parse import quote

import yaml

HERE = Path(__file__).resolve().parent
F = "/bad/portal/folder"
OFF = "@@offhost@@"
CATEGORIES = {
    "tin-tot": "Tin tức - Sự kiện", "xss": "Hoạt động Đảng - Đoàn thể",
    "bi-cat": "Tin bị cắt", "the-hong": "Trang lỗi định dạng", "trang-trong": "Trang trống",
    "nhi-phan": "Tệp đính kèm", "qua-lon": "Số liệu thống kê", "bom-nen": "Tài liệu nén",
    "cham": "Tin địa phương", "loi-http": "Tin lưu trữ", "chuyen-huong": "Tin chuyển trang",
    "khong-cho-phep": "Tin nội bộ", "long-sau": "Văn bản chỉ đạo", "bat-thuong": "Dữ liệu khác",
    "mat-ket-noi": "Tin từ cơ sở",
}
STUB = r"not an article"  # the extractor's reason for an article-shaped page without an article
# What the probes do if they ever run: a global, the document title, a DOM mark and a beacon
# to the off-host server. The tests look for each of them.
PROBE = ("window.__pwned=1;document.title='PW'+'NED';"
         "document.documentElement.setAttribute('data-pw'+'ned','1');"
         f"(new Image).src='{OFF}/pwned'")
PROBE_TITLE = "window.__pwned=1;document.title='PW'+'NED'"


def _articles() -> dict:
    return yaml.safe_load((HERE / "articles.yaml").read_text("utf-8"))


def _url(cat: str, slug: str, n: int) -> str:
    return f"{F}/{cat}/{slug}-{n}.html"


# -- the portal's pages --------------------------------------------------------------------
def _chrome_top(title: str, charset_meta: str | None = "utf-8", head_extra: str = "") -> str:
    meta = (f'<meta http-equiv="Content-Type" content="text/html; charset={charset_meta}" />\n'
            if charset_meta else "")
    menu = "".join(f'<li><a href="{F}/{c}/1.html">{html.escape(label)}</a></li>'
                   for c, label in list(CATEGORIES.items())[:4])
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="vi" lang="vi">
<head>
{meta}<title>{title} - Cổng thông tin điện tử huyện Thạch Hà</title>
<link href="/bad/portal/Themes/style.css" rel="stylesheet" type="text/css" />
<script type="text/javascript" src="/bad/portal/Scripts/portal.js"></script>
{head_extra}</head>
<body>
<div id="wrapper">
  <div id="top-bar"><div class="top-date">Thứ Tư, ngày 01/05/2024</div>
    <div class="top-links"><a href="/">Trang chủ</a> | <a href="/bad/admin/login.html">Đăng nhập</a> | <a href="/bad/portal/folder/tin-tot/1.html;jsessionid=8F2A0C1D">Phiên cũ</a></div></div>
  <div id="menu"><ul class="menu-top"><li class="first"><a href="/">Trang chủ</a></li>{menu}
    <li><a href="/bad/portal/lich-cong-tac.html">Lịch công tác</a></li>
    <li><a href="{F}/vo-tan/1.html">Tin cũ hơn</a></li>
    <li><a href="/bad/portal/tin-moi.html?trang=1">Tin mới</a></li>
    <li><a href="mailto:vanphong@badinput.mirror.test">Liên hệ</a></li>
    <li><a href="javascript:void(0)">In trang</a></li></ul></div>
  <div id="main">
    <div id="left-col"><div class="box"><div class="box-title">Tin nóng</div>
      <ul class="hot-news"><li><a href="{F}/tin-tot/1.html">Tin tức - Sự kiện</a></li></ul></div></div>
    <div id="content">
"""


_CHROME_BOTTOM = """    </div>
    <div id="right-col"><div class="box"><div class="box-title">Thống kê truy cập</div>
      <div class="box-content counter"><div>Đang truy cập: 31</div><div>Hôm nay: 508</div></div></div></div>
  </div>
  <div id="footer"><p><strong>CỔNG THÔNG TIN ĐIỆN TỬ HUYỆN THẠCH HÀ</strong></p>
    <p>Cơ quan chủ quản: Ủy ban nhân dân huyện Thạch Hà, tỉnh Hà Tĩnh</p></div>
</div>
</body>
</html>
"""


def article_html(a: dict, *, charset_meta: str | None = "utf-8", head_extra: str = "",
                 title_html: str | None = None, extra_body: str = "", author_html: str | None = None,
                 wrap: tuple[str, str] = ("", "")) -> str:
    """A good article in the Hà Tĩnh legacy portal's markup (the family the site declares)."""
    title = title_html if title_html is not None else html.escape(a["title"], quote=False)
    d = a["date"]
    paragraphs = "\n".join(f"      <p>{html.escape(p, quote=False)}</p>" for p in a["paragraphs"])
    figures = "".join(
        f'\n      <table class="image-center"><tr><td><img src="{im["src"]}" alt="" /></td></tr>'
        + (f'<tr><td class="image-caption">{html.escape(im["caption"], quote=False)}</td></tr>'
           if im.get("caption") else "") + "</table>"
        for im in a["images"])
    author = author_html if author_html is not None else html.escape(a.get("author") or "")
    return (_chrome_top(title, charset_meta, head_extra) + f"""    {wrap[0]}<div class="portlet-news-detail">
      <div class="breadcrumb"><a href="/">Trang chủ</a> &raquo; <a href="{F}/tin-tot/1.html">Tin tức</a></div>
      <h1 class="news-title">{title}</h1>
      <div class="news-date">Cập nhật lúc: {a["time"]} {d[8:10]}/{d[5:7]}/{d[:4]}</div>
      <div class="news-content" id="news-content">{figures}
{paragraphs}{extra_body}
      </div>
      <div class="news-author">{author}</div>
      <div class="other-news"><h3 class="other-news-title">Các tin khác</h3><ul>
        <li><a href="{F}/tin-tot/1.html">Xem thêm tin tức</a></li></ul></div>
    </div>{wrap[1]}
""" + _CHROME_BOTTOM)


def listing_html(cat: str, items: list[tuple[str, str]]) -> str:
    rows = "\n".join(
        f'      <div class="news-item"><h3 class="news-item-title"><a href="{u}">'
        f'{html.escape(t, quote=False)}</a></h3></div>' for u, t in items)
    label = CATEGORIES.get(cat, cat)
    return (_chrome_top(f"{label} - Trang 1") + f"""    <div class="portlet-news-list">
      <h2 class="folder-title">{html.escape(label)}</h2>
{rows}
    </div>
""" + _CHROME_BOTTOM)


# -- good articles, delivered the way broken servers deliver them ----------------------------
def _good(articles: list[dict]) -> list[dict]:
    from scrapers.mirror import to_cp1258

    routes = []

    def add(i: int, how: str, **route):
        a = articles[i]
        url = route.pop("url", _url("tin-tot", a["slug"], i + 1))
        routes.append({"url": url, "kind": "tin-tot", "how": how,
                       "expect": {"outcome": "article", "title": a["title"]},
                       "content_type": "text/html; charset=utf-8", **route})

    page = article_html
    add(0, "UTF-8 declared in header and meta", body=page(articles[0]))
    add(1, "UTF-8 declared nowhere", body=page(articles[1], charset_meta=None),
        content_type="text/html")
    add(2, "windows-1258 declared only in the HTTP header", body=page(
        articles[2], charset_meta=None), encoding="windows-1258",
        content_type="text/html; charset=windows-1258")
    add(3, "windows-1258 declared nowhere", body=to_cp1258(page(articles[3], charset_meta=None)),
        content_type="text/html")
    add(4, "meta says UTF-8, bytes are windows-1258",
        body=to_cp1258(page(articles[4], charset_meta="utf-8")), content_type="text/html")
    add(5, "header says ISO-8859-1, bytes are UTF-8", body=page(articles[5], charset_meta=None),
        content_type="text/html; charset=iso-8859-1")
    add(6, "header names an unknown charset", body=page(articles[6], charset_meta="x-vn-unknown"),
        content_type="text/html; charset=x-vn-unknown")
    add(7, "UTF-8 with a BOM, header says windows-1252",
        body=b"\xef\xbb\xbf" + page(articles[7], charset_meta=None).encode("utf-8"),
        content_type="text/html; charset=windows-1252")
    add(8, "UTF-16 with a BOM", body=page(articles[8], charset_meta=None).encode("utf-16"),
        content_type="text/html")
    add(9, "gzip content encoding", body=page(articles[9]), gzip=True)
    add(10, "503 on the first request, 200 on the retry", body=page(articles[10]), fail_first=1)
    add(11, "reached through a 301 from an old URL", body=page(articles[11]), linked=False)
    routes.append({"url": f"{F}/tin-tot/tin-cu-{articles[11]['slug'][:30]}-12.html",
                   "status": 301, "location": _url("tin-tot", articles[11]["slug"], 12),
                   "kind": "tin-tot", "how": "old URL, 301 to a good article",
                   "expect": {"outcome": "redirected"}})
    soup = page(articles[12]).replace("</p>", "").replace("</html>", "").replace("</body>", "")
    soup = soup.replace("<div class=\"news-content\"", "</span></td></tr><DIV CLASS=\"news-content\"")
    soup = soup.replace("<h1 class", "<p><b><i><h1 class", 1) + "<td></tr></table></div><font>"
    add(12, "malformed: unclosed and stray tags, no </body></html>", body=soup)
    full = page(articles[13])
    add(13, "truncated in the right-hand column",
        body=full[: full.index("Thống kê truy cập") + 5])
    big = page(articles[14]).replace(
        "</body>", "<table class='thong-ke'>" + "<tr><td>Bảng số liệu thống kê chi tiết</td>"
        "<td>0</td></tr>" * 160_000 + "</table></body>")
    add(14, "a 10 MB page: article, then 10 MB of table rows", body=big)
    add(15, "article 200 levels deep", body=page(articles[15], wrap=("<div>" * 200, "</div>" * 200)))
    add(16, "no Content-Type header at all", body=page(articles[16]).encode("utf-8"),
        content_type=None)
    text = page(articles[17])
    for ch in ("\x00", "\x01", "\x0b", "\x7f"):
        text = text.replace("</p>", ch + "</p>", 2)
    add(17, "NUL and control bytes in the text", body=text)
    add(18, "XML prolog and a quoted charset with extra parameters",
        body='<?xml version="1.0" encoding="utf-8"?>\n' + page(articles[18]),
        content_type='text/html; charset="UTF-8"; profile=portal')
    add(19, "429 twice, then 200 on the second retry", body=page(articles[19]), fail_first=2,
        fail_status=429)
    return routes


def _canonical_probes(articles: list[dict]) -> list[dict]:
    """Good articles whose rel=canonical is broken: stored under their own URL."""
    out = []
    for n, href in ((1, "http://[::1"), (2, "http://127.0.0.1:99999999/tin.html")):
        a = dict(articles[n - 1], paragraphs=[p + " (bản đăng lại)" for p in
                                              articles[n - 1]["paragraphs"]])
        a["title"] = a["title"] + f" (bản {n})"
        out.append({"url": _url("tin-tot", "lien-ket-chuan-hong", 100 + n), "kind": "tin-tot",
                    "how": f"broken rel=canonical {href}",
                    "body": article_html(a, head_extra=f'<link rel="canonical" href="{href}" />\n'),
                    "expect": {"outcome": "article", "title": a["title"]}})
    return out


# -- XSS probes: crawled content that tries to run script in the archive's pages ----------------
def _xss(articles: list[dict]) -> list[dict]:
    P, T = PROBE, PROBE_TITLE
    esc = lambda s: html.escape(s, quote=False)  # noqa: E731  (shown as text on the portal)
    probes = [
        dict(title_html=esc(f"</title><script>{T}</script>") ,
             extra_body=f"<script>{P}</script><p>{esc(f'<script>{P}</script>')} - mã độc trong "
                        f"nội dung bài viết được hiển thị như văn bản thường.</p>"),
        dict(title_html=esc(f'"><img src=x onerror="{T}">'),
             extra_body=f'<p>Ảnh lỗi <img src="x" onerror="{P}"> và {esc(f"<img src=x onerror={P}>")}'
                        f" trong văn bản.</p>",
             images=[{"src": "/bad/portal/Upload/Images/anh-loi.jpg",
                      "caption": f"<img src=x onerror=\"{P}\">Quang cảnh hội nghị"}]),
        dict(title_html=esc(f"<a href=\"javascript:{T}\">Xem</a>"),
             extra_body=f'<p><a href="javascript:{P}">Xem chi tiết</a> javascript:{esc(P)}</p>'
                        f'<img src="javascript:{P}" /><img src="data:text/html,<script>{esc(P)}</script>" />'),
        dict(title_html=esc(f"<svg/onload={T}>"),
             extra_body=f'<svg onload="{P}"><circle r="5"/></svg><p>{esc(f"<svg onload={P}>")}</p>'
                        f'<iframe srcdoc="&lt;script&gt;{esc(P)}&lt;/script&gt;"></iframe>'),
        dict(title_html=esc("<style>body{background:expression(" + T + ")}</style>"),
             extra_body=f'<div style="background:url(javascript:{P});width:expression({P})">'
                        f"Nền trang</div><style>body{{background:expression({P})}}</style>"
                        "<p>" + esc('<div style="width:expression(' + P + ')">') + "</p>"),
        dict(title_html=esc("'\"><script>" + T + "</script>{{7*7}}${7*7}"),
             extra_body=f"<p>{esc(chr(39) + '><img src=x onerror=' + P + '> {{7*7}} ${7*7} {% raw %}')}"
                        f" [bấm vào](javascript:{esc(P)})</p>",
             author_html=esc(f"Phóng viên <script>{P}</script>")),
        dict(title_html=esc("<noscript><p title=\"</noscript><img src=x onerror=" + T + ">\">"),
             extra_body=f'<noscript><p title="</noscript><img src=x onerror={P}>"></p></noscript>'
                        f"<math><mtext><table><mglyph><style><img src=x onerror={P}></style>"
                        f"</mglyph></table></mtext></math><template><script>{P}</script></template>",
             slug=f'"><svg onload={T}>'),
        dict(title_html=esc("'; DROP TABLE articles; -- $(touch /tmp/giaoban-pwned) `id`"),
             extra_body=f"<p>{esc(chr(39) + '; DROP TABLE articles; -- $(touch /tmp/giaoban-pwned) `id` | rm -rf /tmp/x')}</p>"
                        f'<object data="javascript:{P}"></object><embed src="javascript:{P}">'
                        f'<form action="javascript:{P}"><button>Gửi</button></form>'),
    ]
    routes = []
    for k, (a, probe) in enumerate(zip(articles, probes), start=1):
        a = dict(a)
        if "images" in probe:
            a["images"] = a["images"] + probe["images"]
        title_html = html.escape(a["title"], quote=False) + " " + probe["title_html"]
        title = html.unescape(title_html)
        slug = a["slug"][:40] + ("-" + quote(probe["slug"], safe="") if "slug" in probe else "")
        body = article_html(a, title_html=title_html, extra_body=probe["extra_body"],
                            author_html=probe.get("author_html"))
        routes.append({"url": _url("xss", slug, k), "kind": "xss", "body": body,
                       "how": "XSS probes in title, text, markup, captions, author and URL",
                       "expect": {"outcome": "article", "title": title, "xss": True}})
    return routes


# -- the bad pages ----------------------------------------------------------------------------
_WORDS = ("Thường trực", "Huyện ủy", "giao ban", "Mặt trận", "đoàn thể", "hội nghị", "quý", "năm",
          "xã", "thị trấn", "nhân dân", "công tác", "dân vận", "tháng", "kết quả")


def _truncated(articles: list[dict], n: int) -> list[dict]:
    out = []
    for i in range(1, n + 1):
        rng = random.Random(f"bi-cat-{i}")
        a = articles[i % len(articles)]
        raw = article_html(a).encode("utf-8")
        start = raw.index(b'<div class="news-content"')
        cut = rng.randint(0, start + 150) if i % 4 else rng.randint(start - 400, start + 150)
        out.append({"url": _url("bi-cat", a["slug"][:40], i), "kind": "bi-cat",
                    "how": f"cut after {cut} bytes", "body": raw[:cut], "content_type":
                    "text/html; charset=utf-8",
                    "expect": {"outcome": "not_article", "reason": STUB + "|empty"}})
    return out


_SOUP = ["<div", "<div class='news-content'>", "</div>", "</span></span>", "<p>", "<table><tr><td>",
         "</td></tr>", "<b><i>", "</b>", "<!--", "-->", "<script>", "</script>", "<![CDATA[", "]]>",
         "<a href='", "'>", "<img src=", "<<<>>>", "&#xD800;", "&#0;", "&#99999999;", "&amp", "<h1>",
         "</h1>", "<title>", "</title>", "<meta charset='", "<?xml version='1.0' encoding='utf-16'?>",
         "<html>", "</html>", "<body>", "<frameset>", "<select><option>", "<textarea>", "<xmp>",
         "<svg><foreignObject>", "<math>", "<template>", "\x00", "\x1b", "\ufeff", "</", "<p/",
         "<a b=c d='e f=\"g>", "<style>", "<plaintext>", "<noscript>", "<base href='/x/'>",
         "<link rel=canonical href='http://[::1'>", "<meta http-equiv=refresh content='x'>",
         "<time datetime='2024-99-99T99:99'>", "&#x1F600;", "\ud7ff", "<ruby><rt>", "<object>"]


def _malformed(n: int) -> list[dict]:
    out = []
    for i in range(1, n + 1):
        rng = random.Random(f"the-hong-{i}")
        parts, words = [], 0
        for _ in range(rng.randint(5, 120)):
            if rng.random() < 0.7:
                parts.append(rng.choice(_SOUP))
            elif words < 18:
                parts.append(" " + rng.choice(_WORDS) + " ")
                words += 1
        text = "".join(parts)
        body = text.encode("utf-8", "surrogatepass") if i % 3 else text.encode("utf-8", "replace")
        out.append({"url": _url("the-hong", f"trang-loi-dinh-dang-{i}", i), "kind": "the-hong",
                    "how": "tag soup", "body": body, "content_type": "text/html; charset=utf-8",
                    "expect": {"outcome": "not_article",
                               "reason": STUB + "|empty|binary|unparseable"}})
    return out


_EMPTY = [b"", b" ", b"\r\n\r\n", b"\t \n", b"\xef\xbb\xbf", b"\xff\xfe", b"<html></html>",
          b"<!DOCTYPE html>", b"<!-- -->", b"<html><body>   </body></html>", b"\x00" * 64,
          b"<html><head><title></title></head><body></body></html>", b"\n" * 5000,
          b"<?xml version='1.0'?>", b"<html><head><meta charset='utf-8'></head></html>",
          b"&nbsp;", b"<p></p>" * 10, b"<br>", b"\xef\xbb\xbf   ", b"<body/>"]


def _empty() -> list[dict]:
    out = []
    for i, body in enumerate(_EMPTY, start=1):
        out.append({"url": _url("trang-trong", "trang-trong", i), "kind": "trang-trong",
                    "how": f"{body[:20]!r}", "body": body,
                    "expect": {"outcome": "not_article", "reason": STUB + "|empty"}})
    for i, status in enumerate((204, 204, 200, 200), start=len(_EMPTY) + 1):
        out.append({"url": _url("trang-trong", "trang-trong", i), "kind": "trang-trong",
                    "how": f"{status} with no body", "status": status, "body": b"",
                    "expect": {"outcome": "not_article", "reason": "empty"}})
    return out


_MAGIC = [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
          b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nstream\n",
          b"PK\x03\x04\x14\x00\x06\x00", b"\x1f\x8b\x08\x00\x00\x00\x00\x00", b"\x7fELF\x02\x01\x01",
          b"\x00\x00\x00\x18ftypmp42", b"wOFF\x00\x01\x00\x00", b"GIF89a\x01\x00\x01\x00",
          b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"Rar!\x1a\x07\x00", b"MZ\x90\x00\x03\x00"]


def _binary(n: int) -> list[dict]:
    out = []
    honest = ["application/pdf", "image/png", "application/octet-stream", "application/zip",
              "image/jpeg", "application/msword", "video/mp4", "font/woff"]
    for i in range(1, n + 1):
        rng = random.Random(f"nhi-phan-{i}")
        size = rng.choice((300, 2000, 20_000, 200_000))
        payload = _MAGIC[i % len(_MAGIC)] + rng.randbytes(size)
        if i <= len(honest):
            ctype, reason = honest[i - 1], "not HTML"
        else:
            ctype, reason = rng.choice(("text/html", "text/html; charset=utf-8",
                                        "text/html; charset=windows-1258")), "binary"
        out.append({"url": _url("nhi-phan", "tep-dinh-kem", i), "kind": "nhi-phan",
                    "how": f"{payload[:8]!r}… as {ctype}", "body": payload, "content_type": ctype,
                    "expect": {"outcome": "error" if reason == "not HTML" else "not_article",
                               "reason": reason}})
    return out


def _oversized() -> list[dict]:
    MB = 1024 * 1024
    specs = [(17 * MB, True, None), (20 * MB, True, None), (25 * MB, True, None),
             (50 * MB, True, None), (100 * MB, True, None), (1024 * MB, True, None),
             (17 * MB, False, None), (20 * MB, False, None), (24 * MB, False, None),
             (40 * MB, False, None), (1024, True, 50 * MB), (2048, True, 300 * MB)]
    out = []
    for i, (size, length, claimed) in enumerate(specs, start=1):
        route = {"url": _url("qua-lon", "bang-so-lieu", i), "kind": "qua-lon", "fault": "big",
                 "size": size, "length": length,
                 "how": f"{size} bytes, " + ("Content-Length " + str(claimed or size) if length
                                            else "no Content-Length"),
                 "expect": {"outcome": "error", "reason": "max size|maxsize|larger than"}}
        if claimed:
            route["claimed"] = claimed
        if length and not claimed and size > 64 * MB:
            route["size"] = 64 * MB  # the header is what gets it refused; no need to send 1 GB
            route["claimed"] = size
        out.append(route)
    return out


def _bombs() -> list[dict]:
    MB = 1024 * 1024
    specs = [(64 * MB, "gzip", "\0"), (100 * MB, "gzip", "\0"), (128 * MB, "gzip", "\0"),
             (256 * MB, "gzip", "\0"), (64 * MB, "gzip", "<div>"), (64 * MB, "gzip", "<p>Hà Tĩnh</p>"),
             (64 * MB, "deflate", "\0"), (128 * MB, "deflate", "<td>"), (64 * MB, "gzip,gzip", "\0"),
             (128 * MB, "gzip,gzip", "<b>")]
    out = [{"url": _url("bom-nen", "tai-lieu-nen", i), "kind": "bom-nen", "fault": "bomb",
            "size": size, "encoding": enc, "filler": filler,
            "how": f"{enc} of {size // MB} MB of {filler!r}",
            "expect": {"outcome": "error", "reason": "DOWNLOAD_MAXSIZE"}}
           for i, (size, enc, filler) in enumerate(specs, start=1)]
    n = len(out)
    broken = [(b"\x1f\x8b\x08\x00" + bytes(range(200)), "gzip", "not a gzip stream"),
              (gzip.compress(b"<html><body>" + b"x" * 5000)[:60], "gzip",
               "truncated gzip (inflated as far as it goes)"),
              (b"\x78\x9c" + bytes(range(100, 250)), "deflate", "not a deflate stream"),
              (bytes(range(256)), "br", "not a brotli stream")]
    for i, (body, enc, how) in enumerate(broken, start=n + 1):
        expect = {"outcome": "error", "reason": "decod|decompress|gzip|deflate|brotli|header|Error"}
        if how.startswith("truncated"):  # Scrapy keeps what inflates: a page with no article
            expect = {"outcome": "not_article", "reason": STUB}
        out.append({"url": _url("bom-nen", "tai-lieu-nen", i), "kind": "bom-nen", "body": body,
                    "headers": {"Content-Encoding": enc}, "how": how, "expect": expect})
    return out


def _slow() -> list[dict]:
    out = []
    for i in range(1, 4):
        out.append({"url": _url("cham", "tin-dia-phuong", i), "kind": "cham", "delay": 8,
                    "body": "<html><body>muộn</body></html>", "how": "answers after 8 s",
                    "expect": {"outcome": "error", "reason": "timeout|took longer"}})
    for i in range(4, 6):
        out.append({"url": _url("cham", "tin-dia-phuong", i), "kind": "cham", "fault": "stall",
                    "seconds": 8, "how": "half the body, then 8 s of silence",
                    "expect": {"outcome": "error", "reason": "timeout|took longer"}})
    out.append({"url": _url("cham", "tin-dia-phuong", 6), "kind": "cham", "fault": "trickle",
                "interval": 0.1, "how": "one byte every 0.1 s",
                "expect": {"outcome": "error", "reason": "timeout|took longer"}})
    return out


def _http_errors() -> list[dict]:
    plan = [(404, 25), (410, 15), (500, 15), (502, 5), (503, 10), (403, 10), (401, 5), (429, 5),
            (400, 5), (451, 5)]
    out, i = [], 0
    for status, count in plan:
        for _ in range(count):
            i += 1
            out.append({"url": _url("loi-http", "tin-luu-tru", i), "kind": "loi-http",
                        "status": status, "how": f"HTTP {status}",
                        "body": f"<html><head><title>Lỗi {status}</title></head><body><h1>Lỗi "
                                f"{status}</h1><p>Không thể hiển thị trang.</p></body></html>",
                        "expect": {"outcome": "error", "reason": f"HTTP {status}"}})
    return out


def _redirects() -> list[dict]:
    out = []
    u = lambda slug, n: _url("chuyen-huong", slug, n)  # noqa: E731

    def add(url, reason, group=None, linked=True, **route):
        out.append({"url": url, "kind": "chuyen-huong", "linked": linked,
                    "expect": {"outcome": "redirect", "reason": reason,
                               "group": group or [url]}, **route})

    n = 0
    for _ in range(5):  # a → b → a
        a, b = u("vong-lap", n + 1), u("vong-lap", n + 2)
        n += 2
        add(a, "redirect loop", [a, b], status=302, location=b, how="loop a → b → a")
        add(b, "redirect loop", [a, b], linked=False, status=302, location=a, how="loop b → a")
    for _ in range(4):  # a → a
        n += 1
        add(u("tu-lap", n), "redirect loop", status=301, location=u("tu-lap", n), how="a → a")
    for k in range(1, 4):  # an endless chain of new URLs
        prefix = f"{F}/chuyen-huong/chuoi-{k}-"
        out.append({"url": prefix, "prefix": True, "fault": "redirect_chain", "kind": "chuyen-huong",
                    "linked": False, "how": "302 to n+1 for ever"})
        group = [f"{prefix}{j}.html" for j in range(1, 12)]
        add(f"{prefix}1.html", "max redirections", group, how="entry of an endless chain",
            status=302, location=f"{prefix}2.html")
    for k in range(1, 5):  # off host
        n += 1
        add(u("sang-trang-khac", n), "off host", status=302 if k % 2 else 301,
            location=f"{OFF}/bad/portal/folder/tin-tot/tin-gia-mao-{k}.html",
            how="302 to another host")
    for k in range(1, 3):  # meta refresh off host
        n += 1
        add(u("lam-moi", n), "off host", how="meta refresh to another host",
            body=f'<html><head><meta http-equiv="refresh" content="0; url={OFF}/bad/portal/folder/'
                 f'tin-tot/tin-gia-mao-lam-moi-{k}.html"></head><body>Đang chuyển trang…</body></html>')
    for k in range(1, 3):
        n += 1
        add(u("khong-dich", n), "HTTP 30[12]", status=302, how="302 without a Location")
    for target in ("javascript:alert(1)", "http://[::1", "mailto:a@b.c", "data:text/html,x"):
        n += 1
        add(u("dich-xau", n), "non-HTTP|off host|Invalid|redirect", status=301, location=target,
            how=f"301 to {target}")
    for k in range(1, 3):
        n += 1
        target = f"/bad/admin/trang-an-{k}.html"
        add(u("toi-cam", n), "robots", [u("toi-cam", n), target], status=302, location=target,
            how="302 into a robots.txt-disallowed folder")
    n += 1
    gone = u("da-xoa", 900)
    add(u("toi-404", n), "HTTP 404", [u("toi-404", n), gone], status=307, location=gone,
        how="307 to a page that is gone")
    out.append({"url": gone, "kind": "chuyen-huong", "linked": False, "status": 404,
                "body": "<html><body><h1>404</h1></body></html>", "how": "gone"})
    return out


def _robots() -> list[dict]:
    return [{"url": _url("khong-cho-phep", "tin-noi-bo", i), "kind": "khong-cho-phep",
             "body": "<html><body><h1>Nội bộ</h1></body></html>", "how": "Disallow in robots.txt",
             "expect": {"outcome": "error", "reason": "robots"}} for i in range(1, 21)]


def _deep() -> list[dict]:
    text = " ".join(_WORDS) * 20
    specs = [("div", 300), ("div", 1000), ("div", 5000), ("div", 20_000), ("div", 50_000),
             ("table", 1000), ("table", 5000), ("b-unclosed", 50_000), ("ul", 10_000),
             ("span", 50_000), ("font", 50_000), ("mixed", 30_000)]
    out = []
    for i, (tag, depth) in enumerate(specs, start=1):
        if tag == "table":
            opening, closing = "<table><tr><td>" * depth, "</td></tr></table>" * depth
        elif tag == "b-unclosed":
            opening, closing = "<b>" * depth, ""
        elif tag == "ul":
            opening, closing = "<ul><li>" * depth, "</li></ul>" * depth
        elif tag == "mixed":
            tags = ["div", "section", "span", "em", "article"]
            opening = "".join(f"<{tags[k % 5]}>" for k in range(depth))
            closing = "".join(f"</{tags[k % 5]}>" for k in reversed(range(depth)))
        else:
            opening, closing = f"<{tag}>" * depth, f"</{tag}>" * depth
        body = (f"<html><head><meta charset='utf-8'><title>Văn bản chỉ đạo số {i}</title></head>"
                f"<body><h1 class='news-title'>Văn bản chỉ đạo số {i}</h1>{opening}<p>{text}</p>"
                f"{closing}</body></html>")
        out.append({"url": _url("long-sau", "van-ban-chi-dao", i), "kind": "long-sau",
                    "how": f"{depth} nested <{tag}>", "body": body,
                    "expect": {"outcome": "not_article", "reason": STUB}})
    return out


def _pathological() -> list[dict]:
    MB = 1024 * 1024
    zalgo = "".join(c + "\u0301\u0323\u0309" * 15 for c in "thường trực huyện ủy " * 40)
    cases = [
        ("1 MB word", "<p>" + "a" * MB + "</p>"),
        ("100 000 empty paragraphs", "<p></p>" * 100_000),
        ("50 000 line breaks", "<br>" * 50_000),
        ("20 000 links to #", "<a href='#x'>x</a>" * 20_000),
        ("5 000 images", "".join(f"<img src='/bad/portal/Upload/{k}.jpg'>" for k in range(5000))),
        ("10 000 scripts", "<script>var a=1;</script>" * 10_000),
        ("1 MB attribute", f"<div class='{'x' * MB}'>ô</div>"),
        ("1 MB comment", f"<!-- {'-' * MB} -->"),
        ("10 000 meta tags", "<meta name='x' content='y'>" * 10_000),
        ("3 000 tables", "<table><tr><td>ô</td></tr></table>" * 3000),
        ("100 000 nbsp", "&nbsp;" * 100_000),
        ("2 000 dates, no title", "<p>" + "01/01/2020 10:00 " * 2000 + "</p>"),
        ("zalgo text", f"<p>{zalgo}</p>"),
        ("1 MB of zero-width and bidi controls", "<p>" + "\u200b\u202e\u2066\ufeff" * (MB // 16) + "</p>"),
        ("10 000 empty h1", "<h1></h1>" * 10_000),
        ("5 000 iframes", "<iframe src='/bad/x.html'></iframe>" * 5000),
        ("SVG as HTML", "<svg xmlns='http://www.w3.org/2000/svg'>" + "<rect width='1'/>" * 5000 + "</svg>"),
        ("RSS as HTML", "<?xml version='1.0'?><rss><channel>" + "<item><title>t</title></item>" * 2000
         + "</channel></rss>"),
        ("JSON as HTML", "{\"items\": [" + ",".join(["{\"a\": 1}"] * 20_000) + "]}"),
        ("1 MB style", "<style>" + ".a{color:red}" * (MB // 13) + "</style>"),
        ("base href to another host", f"<base href='{OFF}/'>" + "".join(
            f"<a href='bad/portal/folder/tin-tot/tin-khac-{k}.html'>tin {k}</a>" for k in range(20))),
        ("10 000 canonical links", "<link rel='canonical' href='/x.html'>" * 10_000),
        ("500 KB of <", "<" * 500_000),
        ("repeated html/head/body", "<html><head></head><body>" * 10_000),
        ("50 000 options", "<select>" + "<option>ô</option>" * 50_000 + "</select>"),
        ("200 KB title, no text", f"<title>{'Tiêu đề ' * 25_000}</title>"),
        ("1 MB attribute-less tags", "<i>" * (MB // 3)),
        ("mixed UTF-8 and windows-1258 bytes", None),
        ("deeply repeated entities", "&amp;amp;amp;amp;" * 50_000),
        ("a lone surrogate char reference forest", "&#xD800;&#xDFFF;&#0;&#x110000;" * 20_000),
    ]
    out = []
    for i, (how, markup) in enumerate(cases, start=1):
        if markup is None:
            body = ("<html><body><p>Thường trực Huyện ủy</p>".encode("utf-8")
                    + "<p>Mặt trận đoàn thể</p>".encode("cp1258", "replace") * 100 + b"</body></html>")
        else:
            body = f"<html><head><meta charset='utf-8'></head><body>{markup}</body></html>"
        out.append({"url": _url("bat-thuong", "du-lieu-khac", i), "kind": "bat-thuong", "how": how,
                    "body": body, "content_type": "text/html; charset=utf-8",
                    "expect": {"outcome": "not_article", "reason": STUB + "|empty|binary"}})
    return out


def _transport() -> list[dict]:
    out = []
    for i, fault in enumerate(["short"] * 4 + ["reset"] * 4 + ["garbage"] * 4, start=1):
        out.append({"url": _url("mat-ket-noi", "tin-tu-co-so", i), "kind": "mat-ket-noi",
                    "fault": fault, "how": fault,
                    "expect": {"outcome": "error",
                               "reason": "data ?loss|[Cc]onnection|closed|lost|Response|Invalid|"
                                         "[Pp]arse|status"}})
    return out


# -- the site ---------------------------------------------------------------------------------
def corpus(config: dict | None = None) -> list[dict]:
    """Every corpus route (good, probes and bad), without the site's listings and traps."""
    data = _articles()
    good, xss = data["good"], data["xss"]
    return (_good(good) + _canonical_probes(good) + _xss(xss) + _truncated(good, 90)
            + _malformed(90) + _empty() + _binary(40) + _oversized() + _bombs() + _slow()
            + _http_errors() + _redirects() + _robots() + _deep() + _pathological() + _transport())


def routes(config: dict) -> list[dict]:
    items = corpus(config)
    by_cat: dict[str, list[tuple[str, str]]] = {}
    for r in items:
        if r.get("prefix") or r.get("linked") is False:
            continue
        title = r.get("expect", {}).get("title") or r.get("how") or r["url"]
        by_cat.setdefault(r["kind"], []).append((r["url"], title))
    listings = [{"url": f"{F}/{cat}/1.html", "body": listing_html(cat, links), "kind": "listing"}
                for cat, links in by_cat.items()]
    home = {"url": "/", "kind": "home", "body": listing_html("tin-tot", [
        (f"{F}/{cat}/1.html", CATEGORIES[cat]) for cat in by_cat])}
    robots = {"url": "/robots.txt", "kind": "robots", "content_type": "text/plain; charset=utf-8",
              "body": "User-agent: *\nDisallow: /bad/admin/\n"
                      "Disallow: /bad/portal/folder/khong-cho-phep/tin-noi-bo-\n"}
    traps = [robots, 
        {"url": f"{F}/vo-tan/", "prefix": True, "fault": "pagination", "kind": "trap"},
        {"url": "/bad/portal/tin-moi.html", "prefix": True, "fault": "pagination", "param": "trang",
         "kind": "trap"},
        {"url": "/bad/portal/lich-cong-tac.html", "trap": "calendar", "kind": "trap"},
    ]
    return [home, *listings, *traps, *items]


if __name__ == "__main__":  # a summary of the corpus: python mirror/badinput/generate.py
    import collections
    import sys

    sys.path.insert(0, str(HERE.parent.parent))
    items = corpus()
    counts = collections.Counter(r["kind"] for r in items if not r.get("prefix"))
    for kind, count in counts.items():
        print(f"{kind:16} {count:4}")
    print(f"{'total':16} {sum(counts.values()):4}")
