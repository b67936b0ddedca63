"""Sources files: the portal registry as data, validated with one-line errors.

```yaml
sources:
  - name: honglinh                      # unique id
    host: honglinh.hatinh.gov.vn        # the crawl never leaves this host (host[:port])
    family: hatinh_legacy               # CMS family id, or "auto" to detect from the pages
    level: thi_xa                       # tinh | thanh_pho | thi_xa | huyen | xa | mttq | other
    province: Hà Tĩnh
    locality: thị xã Hồng Lĩnh
    start_urls: [http://honglinh.hatinh.gov.vn/]
    listing_urls: [http://honglinh.hatinh.gov.vn/honglinh/portal/folder/tin-tuc/1.html]
    verified: false                     # true once a live run confirmed the entry
```
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import yaml

__all__ = ["Source", "SourcesError", "load_sources", "source_from_url", "DEFAULT_SOURCES",
           "MIRROR_SOURCES", "LEVELS"]

HERE = Path(__file__).parent
DEFAULT_SOURCES = HERE / "sources" / "registry.yaml"
MIRROR_SOURCES = HERE / "sources" / "mirror.yaml"
LEVELS = {"tinh", "thanh_pho", "thi_xa", "huyen", "xa", "mttq", "other"}
_FIELDS = {"name", "host", "family", "level", "province", "locality", "start_urls",
           "listing_urls", "verified", "notes", "max_pages", "download_delay", "prefilter",
           "user_agent", "concurrency", "url_aliases"}


class SourcesError(ValueError):
    """A bad sources file; the message names the file, the entry and the field."""


@dataclass
class Source:
    name: str
    host: str
    family: str = "auto"
    level: str | None = None
    province: str | None = None
    locality: str | None = None
    start_urls: list[str] = field(default_factory=list)
    listing_urls: list[str] = field(default_factory=list)
    verified: bool = False
    notes: str | None = None
    max_pages: int | None = None
    download_delay: float | None = None
    prefilter: bool = False
    user_agent: str | None = None
    concurrency: int | None = None

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _fail(path, idx, name, msg) -> SourcesError:
    where = f"entry {idx + 1}" + (f" ({name})" if name else "")
    return SourcesError(f"{path}: {where}: {msg}")


# field → (accepted types, what the error says); None is always accepted (the default)
_TYPED = {
    "province": ((str,), "a text"), "locality": ((str,), "a text"), "notes": ((str,), "a text"),
    "user_agent": ((str,), "a text"), "verified": ((bool,), "true or false"),
    "prefilter": ((bool,), "true or false"),
    "max_pages": ((int,), "a whole number of at least 1"),
    "concurrency": ((int,), "a whole number of at least 1"),
    "download_delay": ((int, float), "a number of seconds, at least 0"),
}


def _check_types(path: str, idx: int, name, raw: dict) -> None:
    """Wrong types fail here, at load, not as a TypeError in the middle of a crawl."""
    for key, (types, what) in _TYPED.items():
        value = raw.get(key)
        if value is None:
            continue
        ok = isinstance(value, types) and not (bool not in types and isinstance(value, bool))
        if ok and key in ("max_pages", "concurrency"):
            ok = value >= 1
        if ok and key == "download_delay":
            ok = value >= 0
        if not ok:
            raise _fail(path, idx, name, f"field '{key}' must be {what}, not {value!r}")


def _validate(path: str, idx: int, raw: dict, profiles: set[str] | None) -> Source:
    name = raw.get("name") if isinstance(raw, dict) else None
    if not isinstance(raw, dict):
        raise _fail(path, idx, None, "an entry must be a mapping")
    unknown = set(raw) - _FIELDS
    if unknown:
        raise _fail(path, idx, name, f"unknown field '{sorted(map(str, unknown))[0]}'")
    _check_types(path, idx, name if isinstance(name, str) else None, raw)
    if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", name):
        raise _fail(path, idx, name, "field 'name' must be a lower-case id")
    host = raw.get("host")
    if not isinstance(host, str) or not re.fullmatch(r"[a-z0-9.-]+(:\d+)?", host.lower()):
        raise _fail(path, idx, name, "field 'host' must be a host name (host or host:port)")
    family = raw.get("family", "auto")
    if profiles is not None and family not in profiles and family not in ("auto", "generic"):
        raise _fail(path, idx, name, f"field 'family': unknown CMS family '{family}'")
    level = raw.get("level")
    if level is not None and level not in LEVELS:
        raise _fail(path, idx, name, f"field 'level' must be one of {', '.join(sorted(LEVELS))}")
    urls = {}
    for key in ("start_urls", "listing_urls"):
        value = raw.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise _fail(path, idx, name, f"field '{key}' must be a list of URLs")
        for u in value:
            try:
                parts = urlsplit(str(u))
                parts.port  # noqa: B018  (raises on a port out of range)
            except ValueError:
                raise _fail(path, idx, name, f"field '{key}': not a valid URL: {u!r}") from None
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise _fail(path, idx, name, f"field '{key}': not an http(s) URL: {u!r}")
            if parts.netloc.lower().removeprefix("www.") != host.lower().removeprefix("www."):
                raise _fail(path, idx, name, f"field '{key}': {u!r} is not on host {host}")
        urls[key] = [str(u) for u in value]
    if not urls["start_urls"] and not urls["listing_urls"]:
        raise _fail(path, idx, name, "needs at least one of 'start_urls' or 'listing_urls'")
    return Source(
        name=name, host=host.lower(), family=family, level=level,
        province=raw.get("province"), locality=raw.get("locality"),
        start_urls=urls["start_urls"], listing_urls=urls["listing_urls"],
        verified=bool(raw.get("verified", False)), notes=raw.get("notes"),
        max_pages=raw.get("max_pages"), download_delay=raw.get("download_delay"),
        prefilter=bool(raw.get("prefilter", False)), user_agent=raw.get("user_agent"),
        concurrency=raw.get("concurrency"),
    )


def load_sources(path: str | Path, names: list[str] | None = None) -> list[Source]:
    from aggregator.extract.profiles import load_profiles

    path = Path(path)
    if not path.exists():
        raise SourcesError(f"{path}: no such sources file")
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except yaml.YAMLError as exc:
        raise SourcesError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from None
    except (UnicodeDecodeError, OSError) as exc:
        raise SourcesError(f"{path}: not a readable UTF-8 text file ({exc.__class__.__name__})"
                           ) from None
    if not isinstance(data, dict) or not isinstance(data.get("sources"), list):
        raise SourcesError(f"{path}: expected a mapping with a 'sources' list")
    profiles = set(load_profiles())
    out, seen = [], set()
    for i, raw in enumerate(data["sources"]):
        src = _validate(str(path), i, raw, profiles)
        if src.name in seen:
            raise _fail(str(path), i, src.name, "duplicate name")
        seen.add(src.name)
        out.append(src)
    if names:
        missing = set(names) - seen
        if missing:
            raise SourcesError(f"{path}: no source named {sorted(missing)[0]!r}")
        out = [s for s in out if s.name in names]
    return out


def source_from_url(url: str) -> Source:
    """An ad-hoc source for `giaoban crawl --start-url URL`: family detected from the pages."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SourcesError(f"--start-url: not an http(s) URL: {url!r}")
    host = parts.netloc.lower()
    name = re.sub(r"[^a-z0-9.-]+", "-", host)
    return Source(name=name, host=host, family="auto", start_urls=[url])
