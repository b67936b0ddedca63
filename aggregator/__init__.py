"""giaoban's aggregator: extraction, normalisation, classification, dedup, feeds and the CLI.

`extract_article(body, url, content_type=None, fetched_at=None) -> dict` is the seam every
caller shares: the crawler, `giaoban extract`, `giaoban reprocess` and the tests.
"""

from .extract import extract_article

__all__ = ["extract_article"]
__version__ = "0.1.0"
