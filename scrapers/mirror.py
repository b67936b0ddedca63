"""`giaoban mirror`: serve the bundled offline mirror over real HTTP on 127.0.0.1.

Each site of `mirror/` is its own origin (port BASE + k), answering from its `site.yaml`
manifest with real status codes, headers (ETag, Last-Modified, 304 on a conditional GET),
redirects, charsets declared only in the Content-Type header, and crawler traps generated on the
fly (an endless calendar, Liferay's nesting language prefixes).

Sites that declare `bad_input: true` (mirror/badinput/) are left out of the default set, so the
five portals keep their ports and the demo stays clean; `load_sites(names=["badinput"])` or
`python -m scrapers.mirror badinput` serves them. Their routes may come from a deterministic
generator (`generator: generate.py`) and use the fault kinds of `_FAULTS`: slow or stalled
answers, oversized and gzip-bomb bodies, lying lengths, resets, 503-then-200, endless redirect
chains and pagination.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import itertools
import random
import socket
import threading
import time
import unicodedata
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import date, timedelta
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import yaml

__all__ = ["MirrorSite", "Mirror", "load_sites", "MIRROR_DIR", "to_cp1258", "sources_yaml"]

MIRROR_DIR = Path(__file__).resolve().parent.parent / "mirror"
_LAST_MODIFIED = formatdate(1700000000, usegmt=True)
_TONE = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def to_cp1258(text: str) -> bytes:
    """Encode Vietnamese as windows-1258 does: base letters precomposed, tone marks combining."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        try:
            out.append(ch.encode("cp1258"))
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONE))
        tones = "".join(c for c in decomposed if c in _TONE)
        try:
            out.append(base.encode("cp1258") + tones.encode("cp1258"))
        except UnicodeEncodeError:
            out.append(f"&#{ord(ch)};".encode("ascii"))
    return b"".join(out)


def _norm_target(target: str) -> str:
    parts = urlsplit(target)
    query = sorted(parse_qsl(parts.query, keep_blank_values=True))
    return parts.path + ("?" + urlencode(query) if query else "")


@dataclass
class MirrorSite:
    name: str
    folder: Path
    config: dict
    routes: dict[str, dict] = field(default_factory=dict)
    norm_routes: dict[str, dict] = field(default_factory=dict)
    prefix_routes: list[dict] = field(default_factory=list)
    port: int = 0
    variables: dict[str, str] = field(default_factory=dict)  # {name} in a route's location
    hits: dict[str, int] = field(default_factory=dict)       # requests per route url
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def host(self) -> str:
        return self.config["host"]

    def route(self, target: str) -> dict | None:
        found = self.routes.get(target) or self.norm_routes.get(_norm_target(target))
        if found is None:
            for r in self.prefix_routes:  # longest prefix first
                if target.startswith(r["url"]):
                    return r
        return found

    def hit(self, route: dict) -> int:
        """How many times this route has been asked for, this one included."""
        with self.lock:
            self.hits[route["url"]] = self.hits.get(route["url"], 0) + 1
            return self.hits[route["url"]]


def _generated_routes(folder: Path, config: dict) -> list[dict]:
    """Routes from the site's generator module (`generator: generate.py` → `routes(config)`)."""
    path = folder / config["generator"]
    spec = importlib.util.spec_from_file_location(f"giaoban_mirror_{config['name']}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.routes(config))


def load_sites(root: Path = MIRROR_DIR, names: list[str] | None = None) -> list[MirrorSite]:
    """The mirror's sites: every portal, or exactly `names` (bad-input sites only when named)."""
    sites = []
    for folder in sorted(p for p in root.iterdir() if (p / "site.yaml").exists()):
        config = yaml.safe_load((folder / "site.yaml").read_text("utf-8"))
        if names is None and config.get("bad_input"):
            continue
        if names is not None and config["name"] not in names:
            continue
        site = MirrorSite(config["name"], folder, config)
        routes = list(config.get("routes", []))
        if config.get("generator"):
            routes += _generated_routes(folder, config)
        for r in routes:
            if r.get("prefix"):
                site.prefix_routes.append(r)
                continue
            site.routes[r["url"]] = r
            site.norm_routes[_norm_target(r["url"])] = r
        site.prefix_routes.sort(key=lambda r: -len(r["url"]))
        sites.append(site)
    return sites


def sources_yaml(sites: list[MirrorSite], host: str = "127.0.0.1") -> str:
    """The sources file that crawls the running mirror."""
    entries = []
    for s in sites:
        origin = f"http://{host}:{s.port}"
        c = s.config
        entries.append({
            "name": s.name, "host": f"{host}:{s.port}", "family": c.get("family", "auto"),
            "level": c.get("level"), "province": c.get("province"),
            "locality": c.get("locality"),
            "start_urls": [origin + u for u in c.get("start_urls", ["/"])],
            "listing_urls": [origin + u for u in c.get("listing_urls", [])],
            "verified": True, "download_delay": 0, "concurrency": c.get("concurrency", 4),
            "notes": f"offline mirror of {c['host']} ({c.get('family')})",
        })
    header = ("# Generated by `giaoban mirror --write-sources`: the offline mirror's sites as\n"
              "# crawl sources. Do not edit; edit mirror/<site>/site.yaml.\n")
    return header + yaml.safe_dump({"sources": entries}, allow_unicode=True, sort_keys=False)


def _calendar_page(path: str, day: date) -> str:
    prev_d, next_d = day - timedelta(days=1), day + timedelta(days=1)
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Lịch công tác ngày "
            f"{day:%d/%m/%Y}</title></head><body><h1>Lịch công tác ngày {day:%d/%m/%Y}</h1>"
            f"<p>Không có lịch công tác.</p>"
            f"<a href='{path}?ngay={prev_d.isoformat()}'>« Ngày trước</a> | "
            f"<a href='{path}?ngay={next_d.isoformat()}'>Ngày sau »</a> | "
            f"<a href='{path}?ngay={day.isoformat()}&amp;tuan=1'>Cả tuần</a></body></html>")


@lru_cache(maxsize=8)
def _bomb(size: int, encoding: str = "gzip", filler: bytes = b"\0") -> bytes:
    """`size` bytes of filler compressed (gzip, deflate or gzip twice): a decompression bomb."""
    block = filler * (1024 * 1024 // len(filler))
    wbits = {"gzip": 31, "deflate": 15}.get(encoding, 31)
    comp = zlib.compressobj(9, zlib.DEFLATED, wbits)
    parts = [comp.compress(block) for _ in range(size // len(block))]
    data = b"".join(parts) + comp.flush()
    return gzip.compress(data) if encoding == "gzip,gzip" else data


def _pagination_page(path: str, n: int, param: str | None) -> str:
    link = (lambda k: f"{path}?{param}={k}") if param else \
        (lambda k: f"{path.rsplit('/', 1)[0]}/{k}.html")
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Tin tức - Trang {n}</title>"
            f"</head><body><h2 class='folder-title'>Tin tức - Trang {n}</h2>"
            f"<p>Chưa có bài viết trong chuyên mục.</p><div class='paging'>"
            + (f"<a href='{link(n - 1)}'>Trước</a> " if n > 1 else "")
            + f"<span class='current'>{n}</span> <a class='next' href='{link(n + 1)}'>Sau</a>"
            f"</div></body></html>")


def _filler(size: int, seed: int = 0) -> bytes:
    """Deterministic HTML-looking filler of exactly `size` bytes (an oversized page)."""
    rng = random.Random(seed)
    words = ["thông", "tin", "hội", "nghị", "giao", "ban", "xã", "phường", "quý", "năm"]
    chunk = ("<tr><td>" + " ".join(rng.choice(words) for _ in range(40)) + "</td></tr>\n")
    raw = chunk.encode("utf-8")
    return (raw * (size // len(raw) + 1))[:size]


class _Handler(BaseHTTPRequestHandler):
    server_version = "Microsoft-IIS/8.5"
    sys_version = ""
    site: MirrorSite

    def log_message(self, fmt, *args):  # quiet: the crawler logs what matters
        pass

    def _send(self, status: int, body: bytes = b"", headers: dict | None = None) -> None:
        self.send_response(status)
        headers = headers or {}
        for k, v in headers.items():
            if v is not None:  # None: leave the header out (a page with no Content-Type)
                self.send_header(k, v)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def handle(self):  # a client that hangs up (a cancelled 20 MB download) is not an error
        try:
            super().handle()
        except OSError:
            pass

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass

    def _rewrite(self, text: str) -> str:
        origin = f"http://{self.headers.get('Host') or '127.0.0.1:%d' % self.site.port}"
        for scheme in ("https://", "http://"):
            for host in (self.site.host, "www." + self.site.host):
                text = text.replace(scheme + host, origin)
        return self._variables(text)

    def _variables(self, text: str) -> str:
        """`@@name@@` → the mirror's variable (e.g. another origin, for off-host redirects)."""
        if "@@" in text:
            for name, value in self.site.variables.items():
                text = text.replace(f"@@{name}@@", value)
        return text

    def _file_body(self, route: dict) -> tuple[bytes, str]:
        ctype = route.get("content_type", "text/html; charset=utf-8")
        if "body" in route:  # an inline (generated) body: bytes as they are, text encoded
            if isinstance(route["body"], bytes):
                return route["body"], ctype
            raw = route["body"].encode("utf-8")
        else:
            raw = (self.site.folder / "pages" / route["file"]).read_bytes()
        if not (ctype or "text/").startswith(("text/", "application/xhtml", "application/xml",
                                              "application/rss", "application/atom")):
            return raw, ctype
        text = self._rewrite(raw.decode("utf-8"))
        encoding = route.get("encoding", "utf-8")
        body = to_cp1258(text) if encoding.lower() in ("windows-1258", "cp1258") else \
            text.encode(encoding)
        return body, ctype

    def _trap(self, route: dict, parts) -> None:
        query = dict(parse_qsl(parts.query))
        try:
            day = date.fromisoformat(query.get("ngay", ""))
        except ValueError:
            day = date(2024, 5, 1)
        body = self._rewrite(_calendar_page(parts.path, day)).encode("utf-8")
        self._send(200, body, {"Content-Type": "text/html; charset=utf-8"})

    def do_HEAD(self):  # noqa: N802
        self.do_GET()

    def do_GET(self):  # noqa: N802
        parts = urlsplit(self.path)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        route = self.site.route(target)
        if route is None and parts.query:
            base = self.site.route(parts.path)
            if base and base.get("trap"):
                route = base
        if route is None:
            # Liferay language prefixes nest without end: /x.html/en/vi/en answers like /x.html
            stripped = parts.path
            for suffix in ("/en", "/vi", "/en/", "/vi/"):
                while stripped.endswith(suffix) and self.site.config.get("family", "").startswith("liferay"):
                    stripped = stripped[: -len(suffix)]
            if stripped != parts.path and self.site.route(stripped) and \
                    self.site.route(stripped).get("file"):
                body, ctype = self._file_body(self.site.route(stripped))
                extra = (f'<a class="lang" href="{parts.path.rstrip("/")}/en">English</a>'
                         f'<a class="lang" href="{parts.path.rstrip("/")}/vi">Tiếng Việt</a>')
                body = body.replace(b"</body>", extra.encode() + b"</body>")
                self._send(200, body, {"Content-Type": ctype})
                return
            body = ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>404 - Không tìm "
                    "thấy trang</title></head><body><h1>Không tìm thấy trang yêu cầu</h1>"
                    "<p>Trang bạn tìm không tồn tại hoặc đã bị xóa.</p></body></html>")
            self._send(404, body.encode("utf-8"), {"Content-Type": "text/html; charset=utf-8"})
            return
        if route.get("trap"):
            self._trap(route, parts)
            return
        count = self.site.hit(route)
        if route.get("delay"):
            time.sleep(float(route["delay"]))
        if count <= int(route.get("fail_first", 0)):
            status = int(route.get("fail_status", 503))
            body = b"<html><body><h1>Service Unavailable</h1></body></html>"
            self._send(status, body, {"Content-Type": "text/html; charset=utf-8",
                                      "Retry-After": "1"})
            return
        if route.get("fault"):
            _FAULTS[route["fault"]](self, route, target)
            return
        status = int(route.get("status", 200))
        if route.get("location") is not None:
            location = self._variables(route["location"])
            self._send(status, b"", {"Location": location,
                                     "Content-Type": "text/html; charset=utf-8"})
            return
        if not route.get("file") and "body" not in route:
            self._send(status, b"", {"Content-Type": "text/html; charset=utf-8"})
            return
        body, ctype = self._file_body(route)
        etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
        headers = {"Content-Type": ctype, "ETag": etag, "Last-Modified": _LAST_MODIFIED,
                   "Cache-Control": "private", "X-Powered-By": "ASP.NET"}
        headers.update(route.get("headers", {}))
        if route.get("gzip"):
            body = gzip.compress(body, mtime=0)
            headers["Content-Encoding"] = "gzip"
        if status == 200 and self.headers.get("If-None-Match") == etag:
            self._send(304, b"", {"ETag": etag, "Content-Length": "0"})
            return
        self._send(status, body, headers)


# -- faults: what broken servers do (route key `fault`) ---------------------------------------
def _fault_big(h: _Handler, route: dict, target: str) -> None:
    """`size` bytes of HTML, with a Content-Length (`length: true`) or close-delimited."""
    size = int(route["size"])
    h.send_response(200)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    if route.get("length", True):
        h.send_header("Content-Length", str(int(route.get("claimed", size))))
    h.end_headers()
    h.wfile.write(b"<html><head><title>Bang so lieu</title></head><body><table>")
    chunk = _filler(1 << 20, seed=len(target))
    sent = 0
    while sent < size:
        h.wfile.write(chunk[: size - sent])
        sent += len(chunk)
    h.close_connection = True


def _fault_bomb(h: _Handler, route: dict, target: str) -> None:
    """A small body that inflates to `size` bytes (Content-Encoding gzip / deflate / both)."""
    encoding = route.get("encoding", "gzip")
    body = _bomb(int(route["size"]), encoding, route.get("filler", "\0").encode("utf-8"))
    h._send(200, body, {"Content-Type": "text/html; charset=utf-8",
                        "Content-Encoding": "gzip, gzip" if encoding == "gzip,gzip" else encoding})


def _fault_stall(h: _Handler, route: dict, target: str) -> None:
    """Headers and half the body, then silence for `seconds` (a hung backend)."""
    body = b"<html><head><title>Dang tai</title></head><body>" + b"<p>x</p>" * 200
    h.send_response(200)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    h.send_header("Content-Length", str(len(body) * 2))
    h.end_headers()
    h.wfile.write(body)
    h.wfile.flush()
    time.sleep(float(route.get("seconds", 10)))
    h.close_connection = True


def _fault_trickle(h: _Handler, route: dict, target: str) -> None:
    """One byte every `interval` seconds: never idle, never done in time."""
    body = b"<html><body>" + b"." * 200
    h.send_response(200)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    for i in range(len(body)):
        h.wfile.write(body[i:i + 1])
        h.wfile.flush()
        time.sleep(float(route.get("interval", 0.2)))


def _fault_short(h: _Handler, route: dict, target: str) -> None:
    """A Content-Length longer than the body, then the connection closes (data loss)."""
    body = b"<html><head><title>Mat du lieu</title></head><body><p>Noi dung bi cat"
    h.send_response(200)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    h.send_header("Content-Length", str(len(body) + 5000))
    h.end_headers()
    h.wfile.write(body)
    h.close_connection = True


def _fault_reset(h: _Handler, route: dict, target: str) -> None:
    """The connection dies before any answer (RST)."""
    h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
    h.close_connection = True


def _fault_garbage(h: _Handler, route: dict, target: str) -> None:
    """Bytes that are not HTTP at all."""
    h.wfile.write(b"\x16\x03\x01\x02\x00garbage, not an HTTP status line\r\n\r\n")
    h.close_connection = True


def _fault_redirect_chain(h: _Handler, route: dict, target: str) -> None:
    """<prefix><n>.html answers 302 to <prefix><n+1>.html, for ever."""
    tail = target[len(route["url"]):]
    n = int("".join(itertools.takewhile(str.isdigit, tail)) or 0)
    h._send(302, b"", {"Location": f"{route['url']}{n + 1}.html",
                       "Content-Type": "text/html; charset=utf-8"})


def _fault_pagination(h: _Handler, route: dict, target: str) -> None:
    """A listing whose page N links to page N+1, for ever (`param`: ?param=N, else N.html)."""
    parts = urlsplit(target)
    param = route.get("param")
    if param:
        n = int(dict(parse_qsl(parts.query)).get(param, "1") or 1)
    else:
        n = int("".join(itertools.takewhile(str.isdigit, parts.path.rsplit("/", 1)[-1])) or 1)
    body = h._rewrite(_pagination_page(parts.path, n, param)).encode("utf-8")
    h._send(200, body, {"Content-Type": "text/html; charset=utf-8"})


_FAULTS = {"big": _fault_big, "bomb": _fault_bomb, "stall": _fault_stall,
           "trickle": _fault_trickle, "short": _fault_short, "reset": _fault_reset,
           "garbage": _fault_garbage, "redirect_chain": _fault_redirect_chain,
           "pagination": _fault_pagination}


class Mirror:
    """All mirror sites, each on its own port, in background threads."""

    def __init__(self, base_port: int = 8800, root: Path = MIRROR_DIR, host: str = "127.0.0.1",
                 names: list[str] | None = None, variables: dict[str, str] | None = None):
        self.sites = load_sites(root, names)
        for site in self.sites:
            site.variables = dict(variables or {})
        self.host = host
        self.base_port = base_port
        self.servers: list[ThreadingHTTPServer] = []
        self.threads: list[threading.Thread] = []

    def start(self) -> "Mirror":
        for k, site in enumerate(self.sites):
            port = 0 if self.base_port == 0 else self.base_port + k
            handler = type(f"Handler_{site.name}", (_Handler,), {"site": site})
            server = ThreadingHTTPServer((self.host, port), handler)
            server.daemon_threads = True
            site.port = server.server_address[1]
            thread = threading.Thread(target=server.serve_forever, name=f"mirror-{site.name}",
                                      daemon=True)
            thread.start()
            self.servers.append(server)
            self.threads.append(thread)
        return self

    def stop(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()

    def origin(self, name: str) -> str:
        site = next(s for s in self.sites if s.name == name)
        return f"http://{self.host}:{site.port}"

    def sources_yaml(self) -> str:
        return sources_yaml(self.sites, self.host)

    def __enter__(self) -> "Mirror":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    """`python -m scrapers.mirror [SITE…] [--port N] [--write-sources F]`: serve some sites
    (the bad-input corpus too: `python -m scrapers.mirror badinput`)."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m scrapers.mirror")
    p.add_argument("sites", nargs="*", help="site names (default: the five portals)")
    p.add_argument("--port", type=int, default=8900, help="base port (site k on port+k)")
    p.add_argument("--write-sources", default=None)
    p.add_argument("--var", action="append", default=[], help="NAME=VALUE for route locations")
    args = p.parse_args(argv)
    variables = dict(v.split("=", 1) for v in args.var)
    mirror = Mirror(base_port=args.port, names=args.sites or None, variables=variables).start()
    if args.write_sources:
        Path(args.write_sources).write_text(mirror.sources_yaml(), "utf-8")
    for site in mirror.sites:
        print(f"{site.name:14} http://127.0.0.1:{site.port}/", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        mirror.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
