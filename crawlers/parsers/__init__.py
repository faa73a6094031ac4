"""Pure page parsers, one module per kind of site.

Each takes what a response carries (URL, text or bytes, the server's idea of "now") and returns
plain dicts ready to become :class:`yuqing.pipeline.core.record.Post` — no Scrapy, no I/O — so tests call
them directly on the real captures. A page that cannot be understood raises :class:`PageError`
naming what is missing; the spider middleware logs it with the URL and skips the page.
"""

from __future__ import annotations


class PageError(ValueError):
    """The page is not in the expected format (truncated, malformed, changed layout)."""


def require_complete(html: str) -> None:
    """A full HTML page ends with ``</html>``; lxml would silently parse a cut-off page, losing the
    rest of a list and its next-page link — so a page without it is rejected as truncated."""
    if "</html>" not in html[-4000:].lower():
        raise PageError("truncated page (no closing </html>)")
