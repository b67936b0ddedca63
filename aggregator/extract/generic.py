"""The generic path for layouts no profile knows: trafilatura finds the main content, then the
same Vietnamese cleanup runs over it as over a profiled page.

trafilatura is the best-measured open-source main-content finder (F1 0.95 on the public
benchmark in shared/extraction-benchmark); writing another would be worse and slower. It runs
with `favor_precision=True`: measured by bench/extraction.py, that raises the generic path's body
F1 on both the Vietnamese portal fixtures and the public benchmark (README, "Extraction
benchmark").

`refine_content` covers the other generic case: a shared Vietnamese-CMS class name
(`.entry-content`, `[itemprop=articleBody]` …) matched, but on a page that is not Vietnamese such
an element is often a wide wrapper (title, byline, photo gallery, "Back to Gallery"). There
trafilatura is run on that element alone to prune it. Vietnamese pages keep the element as it is:
the portals' own chrome is removed by the Vietnamese rules, and trafilatura would drop captions
and short lines the gold keeps.
"""

from __future__ import annotations

import copy
import re

import lxml.html
import trafilatura
from lxml import etree

from .blocks import Block, element_blocks

__all__ = ["generic_content", "refine_content", "is_vietnamese"]

# letters only Vietnamese uses among Latin-script languages (ă â đ ê ô ơ ư and the stacked
# tone marks), upper and lower case
_VI_LETTERS = re.compile(
    "[ăâđêôơưĂÂĐÊÔƠƯ"
    "ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"
    "ẠẢẤẦẨẪẬẮẰẲẴẶẸẺẼẾỀỂỄỆỈỊỌỎỐỒỔỖỘỚỜỞỠỢỤỦỨỪỬỮỰỲỴỶỸ]"
)
_MIN_KEPT = 0.5  # refined text shorter than this share of the element's: keep the element


def is_vietnamese(text: str) -> bool:
    """True when at least 2 % of the letters are Vietnamese-only letters (any Vietnamese
    sentence has far more; English, French or Indonesian text has none)."""
    sample = text[:4000]
    letters = sum(ch.isalpha() for ch in sample)
    return letters > 0 and len(_VI_LETTERS.findall(sample)) >= 0.02 * letters


def _trafilatura_blocks(tree, url: str) -> list[Block] | None:
    try:
        doc = trafilatura.bare_extraction(
            tree, url=url, include_images=True, include_tables=True, include_comments=False,
            with_metadata=False, favor_precision=True, deduplicate=False,
        )
    except Exception:  # trafilatura may raise on pathological trees; fall back to nothing
        return None
    if doc is None or getattr(doc, "body", None) is None:
        return None
    return element_blocks(doc.body, url)


def generic_content(html: str, root, url: str) -> tuple[list[Block], str]:
    blocks = _trafilatura_blocks(root, url)
    if blocks is None:
        return [], "generic:none"
    return blocks, "generic:trafilatura"


def refine_content(element, url: str) -> tuple[list[Block], str]:
    """Blocks of a shared-selector element; on a non-Vietnamese page, pruned by trafilatura."""
    blocks = element_blocks(element, url)
    text = " ".join(b.text for b in blocks if b.text)
    if is_vietnamese(text):
        return blocks, ""
    wrapper = lxml.html.Element("html")
    etree.SubElement(wrapper, "body").append(copy.deepcopy(element))
    refined = _trafilatura_blocks(wrapper, url)
    if not refined:
        return blocks, ""
    kept = sum(len(b.text) for b in refined)
    if kept < _MIN_KEPT * max(1, len(text)):
        return blocks, ""
    return refined, "+trafilatura"
