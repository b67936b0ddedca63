"""Extraction: pure functions of (body bytes, url, content type)."""

from .engine import extract_article

__all__ = ["extract_article"]
