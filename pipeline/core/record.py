"""The post record: the one data shape that flows crawl → ingest → store → alerts → briefing.

Every stage reads and writes :class:`Post`. On disk it is JSON Lines (``*.jsonl``, UTF-8, one
object a line). Fields:

Collected by a crawler
    ``id``            ``"{platform}:{native id}"`` — stable, the upsert key everywhere.
    ``platform``      one of ``weibo``, ``wechat``, ``forum``, ``tieba``, ``news`` — or ``report``: a
                      grassroots report (信息报送, ``report:<n>``) made by :mod:`yuqing.alerts.report_post`;
                      its ``org_units`` are the unit the reporter chose and linking keeps them.
    ``source``        name of the configured source (``config/sources.yaml``) that produced it.
    ``url``           link to the original.
    ``title``         may be empty (Weibo posts have none).
    ``content``       plain text, no HTML.
    ``author``        ``{"id": ..., "name": ...}``.
    ``published_at``  ISO 8601 with offset; a naive time is read as Asia/Shanghai.
    ``crawled_at``    ISO 8601 with offset; defaults to the moment of validation.
    ``metrics``       ``reposts``, ``comments``, ``likes``, ``reads`` — each may be absent.
    ``thread_id``, ``reply_to``, ``location`` — optional.

Added by the pipeline (enrichment)
    ``topics``        list of taxonomy ids (``config/taxonomy.yaml``), 0–3 of them.
    ``sentiment``     ``{"label": "negative|neutral|positive", "scores": {label: p}}``.
    ``org_units``     ids of the most specific union units the post concerns (``config/org.yaml``).
    ``org_path``      those units plus all their ancestors — what "this unit's subtree" filters on.
    ``link_confidence`` confidence of the unit linking, 0–1.
    ``dup_of``        id of the earlier post this one near-duplicates (a repost storm is one story).

Validation happens at the boundary (:func:`read_jsonl`): a bad line becomes a :class:`Reject`
naming the line number and the field, and reading goes on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from yuqing.pipeline.core.names import PLATFORM_NAMES, SENTIMENT_NAMES
from yuqing.pipeline.core.timeutil import SHANGHAI, to_aware  # noqa: F401 (re-exported)

PLATFORMS = tuple(PLATFORM_NAMES)
SENTIMENTS = tuple(SENTIMENT_NAMES)

Platform = Literal["weibo", "wechat", "forum", "tieba", "news", "report"]
SentimentLabel = Literal["negative", "neutral", "positive"]

_ID_RE = re.compile(r"^(weibo|wechat|forum|tieba|news|report):\S+$")


AwareDatetime = Annotated[datetime, BeforeValidator(to_aware)]


class Author(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = ""
    name: str = ""

    @field_validator("id", "name", mode="before")
    @classmethod
    def _stringify(cls, v: Any) -> Any:
        return "" if v is None else str(v) if isinstance(v, int) else v


class Metrics(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reposts: int | None = Field(default=None, ge=0)
    comments: int | None = Field(default=None, ge=0)
    likes: int | None = Field(default=None, ge=0)
    reads: int | None = Field(default=None, ge=0)

    def engagement(self) -> int:
        """Reposts + comments + likes (reads are too noisy to weigh)."""
        return (self.reposts or 0) + (self.comments or 0) + (self.likes or 0)


class Sentiment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: SentimentLabel
    scores: dict[SentimentLabel, float] = Field(default_factory=dict)


class Post(BaseModel):
    """One post, comment, article or news item. See the module docstring for the fields."""

    model_config = ConfigDict(extra="forbid", validate_assignment=False)

    id: str
    platform: Platform
    source: str = Field(min_length=1)
    url: str = ""
    title: str = ""
    content: str
    author: Author = Field(default_factory=Author)
    published_at: AwareDatetime
    crawled_at: AwareDatetime = Field(default_factory=lambda: datetime.now(timezone.utc))
    metrics: Metrics = Field(default_factory=Metrics)
    thread_id: str | None = None
    reply_to: str | None = None
    location: str | None = None
    # enrichment
    topics: list[str] = Field(default_factory=list, max_length=3)
    sentiment: Sentiment | None = None
    org_units: list[str] = Field(default_factory=list)
    org_path: list[str] = Field(default_factory=list)
    link_confidence: float | None = Field(default=None, ge=0, le=1)
    dup_of: str | None = None

    @field_validator("id")
    @classmethod
    def _check_id(cls, v: str) -> str:
        if not _ID_RE.match(v):
            raise ValueError('must look like "{platform}:{native id}", e.g. "weibo:4645748019299849"')
        return v

    @field_validator("title", "content", "url", mode="before")
    @classmethod
    def _none_is_empty(cls, v: Any) -> Any:
        return "" if v is None else v

    @model_validator(mode="after")
    def _consistent(self) -> Post:
        prefix = self.id.split(":", 1)[0]
        if prefix != self.platform:
            raise ValueError(f"id prefix {prefix!r} does not match platform {self.platform!r}")
        if not self.content.strip() and not self.title.strip():
            raise ValueError("content: both title and content are empty")
        return self

    @property
    def native_id(self) -> str:
        return self.id.split(":", 1)[1]

    @property
    def cluster(self) -> str:
        """The story this post belongs to: the root of its near-duplicate cluster."""
        return self.dup_of or self.id

    @property
    def text(self) -> str:
        """Title and content together, as classifiers and linkers read them."""
        return f"{self.title}\n{self.content}" if self.title else self.content

    def to_json(self) -> str:
        return self.model_dump_json(exclude_none=True)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


@dataclass(frozen=True)
class Reject:
    """A line that could not become a :class:`Post`, with where and why."""

    line: int
    reason: str
    raw: str

    def to_json(self) -> str:
        return json.dumps({"line": self.line, "reason": self.reason, "raw": self.raw}, ensure_ascii=False)


def describe_validation_error(exc: ValidationError) -> str:
    """``field.path: message; ...`` — short enough for one log line, precise enough to fix."""
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(record)"
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)


def parse_line(raw: str, line: int) -> Post | Reject:
    """Validate one JSON Lines line."""
    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as exc:
        return Reject(line, f"invalid JSON at column {exc.colno}: {exc.msg}", raw)
    if not isinstance(obj, dict):
        return Reject(line, f"expected a JSON object, got {type(obj).__name__}", raw)
    try:
        return Post.model_validate(obj)
    except ValidationError as exc:
        return Reject(line, describe_validation_error(exc), raw)


def read_jsonl(stream: IO[bytes] | IO[str] | Iterable[str | bytes]) -> Iterator[Post | Reject]:
    """Yield a :class:`Post` or :class:`Reject` for every non-blank line.

    Bytes that are not UTF-8 are replaced and the line is rejected with that reason, so one
    corrupt line never stops a file.
    """
    for number, raw in enumerate(stream, start=1):
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield Reject(number, f"not UTF-8 (byte {exc.start}: {exc.reason})",
                             raw.decode("utf-8", errors="replace").rstrip("\n"))
                continue
        raw = raw.rstrip("\r\n")
        if raw.startswith("\ufeff"):
            raw = raw[1:]
        if not raw.strip():
            continue
        yield parse_line(raw, number)


def read_jsonl_path(path: str | Path) -> Iterator[Post | Reject]:
    """:func:`read_jsonl` over a file; ``-`` reads standard input."""
    import sys

    if str(path) == "-":
        yield from read_jsonl(sys.stdin.buffer)
        return
    with open(path, "rb") as fh:
        yield from read_jsonl(fh)


def write_jsonl(posts: Iterable[Post], stream: IO[str]) -> int:
    n = 0
    for post in posts:
        stream.write(post.to_json())
        stream.write("\n")
        n += 1
    return n
