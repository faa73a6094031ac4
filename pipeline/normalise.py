"""Normalisation: make text and times uniform before anything compares or classifies them.

* Unicode NFC; control characters (other than newline and tab) removed; runs of spaces collapsed;
  blank-line runs collapsed; leading/trailing space stripped.
* Content longer than ``max_content_chars`` is cut there with a visible marker (the original
  stays at ``url``), so one 10 MB page cannot stall the pipeline.
* A post with nothing left after cleaning (say, only control characters) is refused with that
  reason; ingest writes it to the rejects file.
* Times are kept with their offset; naive times were already read as Asia/Shanghai by the record.
"""

from __future__ import annotations

import re
import unicodedata

from yuqing.pipeline.core.record import Post

TRUNCATION_MARK = "……（正文过长，已截断）"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def clean_text(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    text = _SPACES.sub(" ", text)
    text = _BLANK_LINES.sub("\n\n", text)
    return "\n".join(line.strip() for line in text.split("\n")).strip()


class NormaliseStage:
    name = "normalise"

    def __init__(self, max_content_chars: int = 100_000):
        self.max_content_chars = max_content_chars
        self._refused: list[tuple[Post, str]] = []

    def take_rejects(self) -> list[tuple[Post, str]]:
        refused, self._refused = self._refused, []
        return refused

    def process(self, posts: list[Post]) -> None:
        for post in posts:
            post.title = clean_text(post.title)
            content = clean_text(post.content)
            if len(content) > self.max_content_chars:
                content = content[: self.max_content_chars] + TRUNCATION_MARK
            post.content = content
            if not content and not post.title:
                self._refused.append((post, "no text left after removing control characters and spaces"))
            if post.location:
                post.location = clean_text(post.location) or None
