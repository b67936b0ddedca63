"""The generic path for layouts no profile knows: trafilatura finds the main content, then the
same Vietnamese cleanup runs over it as over a profiled page.

trafilatura is the best-measured open-source main-content finder (F1 0.95 on the public
benchmark in shared/extraction-benchmark); writing another would be worse and slower.
"""

from __future__ import annotations

import trafilatura

from .blocks import Block, element_blocks

__all__ = ["generic_content"]


def generic_content(html: str, root, url: str) -> tuple[list[Block], str]:
    try:
        doc = trafilatura.bare_extraction(
            root, url=url, include_images=True, include_tables=True, include_comments=False,
            with_metadata=False, favor_precision=False, deduplicate=False,
        )
    except Exception:  # trafilatura may raise on pathological trees; fall back to nothing
        doc = None
    if doc is None or getattr(doc, "body", None) is None:
        return [], "generic:none"
    return element_blocks(doc.body, url), "generic:trafilatura"
