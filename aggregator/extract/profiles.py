"""CMS family profiles: site knowledge as data (one YAML file per family), validated at load.

A profile never has to be complete: every field is a hint layered over the generic path. A
family whose DOM is documented gives selectors; one known only by its URL shapes and date label
gives those, and the generic content finder does the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from lxml import etree
from lxml.cssselect import CSSSelector

__all__ = ["Profile", "ProfileError", "load_profiles", "get_profile", "PROFILE_DIR"]

PROFILE_DIR = Path(__file__).parent / "profiles"

_LIST_FIELDS = {
    "detect_url", "detect_html", "detect_generator", "article_url", "listing_url", "print_url",
    "not_article_url", "title", "date", "date_label", "body", "lede", "author", "drop",
    "title_suffix", "strip_lines", "article_links", "next_page",
}
_SCALAR_FIELDS = {"family", "label", "description", "date_only", "min_body_chars", "parent",
                  "detect_weight"}
_REGEX_FIELDS = {"detect_url", "detect_generator", "article_url", "listing_url", "print_url",
                 "not_article_url", "date_label", "title_suffix", "strip_lines"}
_CSS_FIELDS = {"title", "date", "body", "lede", "author", "drop", "article_links", "next_page"}


class ProfileError(ValueError):
    """A profile file that does not validate; the message names the file and field."""


@dataclass(frozen=True)
class Profile:
    family: str
    label: str = ""
    description: str = ""
    detect_url: tuple[re.Pattern, ...] = ()
    detect_html: tuple[str, ...] = ()
    detect_generator: tuple[re.Pattern, ...] = ()
    article_url: tuple[re.Pattern, ...] = ()
    listing_url: tuple[re.Pattern, ...] = ()
    print_url: tuple[re.Pattern, ...] = ()
    not_article_url: tuple[re.Pattern, ...] = ()
    title: tuple[str, ...] = ()
    date: tuple[str, ...] = ()
    date_label: tuple[re.Pattern, ...] = ()
    date_only: bool = False
    body: tuple[str, ...] = ()
    lede: tuple[str, ...] = ()
    author: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    title_suffix: tuple[re.Pattern, ...] = ()
    strip_lines: tuple[re.Pattern, ...] = ()
    article_links: tuple[str, ...] = ()
    next_page: tuple[str, ...] = ()
    min_body_chars: int = 200
    detect_weight: int = 1
    parent: str = ""
    selectors: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    def css(self, selector: str):
        return _compile_css(selector)

    def matches(self, patterns: tuple[re.Pattern, ...], url: str) -> bool:
        return any(p.search(url) for p in patterns)


XPATH_PREFIX = "xpath:"


@lru_cache(maxsize=1024)
def _compile_css(selector: str):
    """A CSS selector, or an XPath expression when written `xpath:<expr>`.

    XPath is there for the few documented structures CSS cannot say, such as "the wrapper that
    holds #hometext" (NukeViet puts the lead photo beside the lede, not inside it). Both compiled
    forms are callables that take an element and return the matching elements.
    """
    if selector.startswith(XPATH_PREFIX):
        return etree.XPath(selector[len(XPATH_PREFIX):].strip())
    return CSSSelector(selector)


def _validate(path: Path, raw: dict) -> Profile:
    if not isinstance(raw, dict):
        raise ProfileError(f"{path.name}: a profile is a mapping of fields")
    unknown = set(raw) - _LIST_FIELDS - _SCALAR_FIELDS
    if unknown:
        raise ProfileError(f"{path.name}: unknown field(s) {', '.join(sorted(unknown))}")
    if not raw.get("family") or not re.fullmatch(r"[a-z0-9_]+", str(raw["family"])):
        raise ProfileError(f"{path.name}: field 'family' must be an id like 'liferay62'")
    kwargs: dict = {}
    for key, value in raw.items():
        if key in _LIST_FIELDS:
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ProfileError(f"{path.name}: field '{key}' must be a list of strings")
            if key in _REGEX_FIELDS:
                try:
                    value = [re.compile(v, re.IGNORECASE) for v in value]
                except re.error as exc:
                    raise ProfileError(f"{path.name}: field '{key}': bad regex: {exc}") from None
            if key in _CSS_FIELDS:
                for v in value:
                    try:
                        _compile_css(v)
                    except Exception as exc:  # cssselect raises several types
                        raise ProfileError(
                            f"{path.name}: field '{key}': bad CSS selector {v!r}: {exc}"
                        ) from None
            kwargs[key] = tuple(value)
        elif key == "date_only":
            kwargs[key] = bool(value)
        elif key in ("min_body_chars", "detect_weight"):
            kwargs[key] = int(value)
        elif key in ("family", "label", "description", "parent"):
            kwargs[key] = str(value)
    return Profile(**kwargs)


def _merge(parent: dict, child: dict) -> dict:
    merged = {k: v for k, v in parent.items() if k != "parent"}
    for key, value in child.items():
        if key == "parent":
            continue
        merged[key] = value
    return merged


@lru_cache(maxsize=4)
def load_profiles(directory: str | None = None) -> dict[str, Profile]:
    """All profiles of a directory, keyed by family id (a `parent:` field inherits)."""
    base = Path(directory) if directory else PROFILE_DIR
    raws: dict[str, tuple[Path, dict]] = {}
    for path in sorted(base.glob("*.yaml")):
        with path.open(encoding="utf-8") as fh:
            try:
                raw = yaml.safe_load(fh)
            except yaml.YAMLError as exc:
                raise ProfileError(f"{path.name}: not valid YAML: {exc}") from None
        if not isinstance(raw, dict):
            raise ProfileError(f"{path.name}: a profile is a mapping of fields")
        raws[str(raw.get("family"))] = (path, raw)
    profiles: dict[str, Profile] = {}
    for family, (path, raw) in raws.items():
        parent = raw.get("parent")
        if parent:
            if parent not in raws:
                raise ProfileError(f"{path.name}: parent '{parent}' is not a profile")
            raw = _merge(raws[parent][1], raw)
            raw["family"] = family
            raw["parent"] = parent
        profiles[family] = _validate(path, raw)
    return profiles


def get_profile(family: str) -> Profile | None:
    return load_profiles().get(family)
