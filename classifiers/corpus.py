"""Labelled posts: reading, validating and fingerprinting the training and evaluation files.

A labelled file is JSON Lines; each record has ``content`` (and optionally ``title``), ``topics``
(0–3 taxonomy ids) and ``sentiment`` (negative|neutral|positive). The corpus files under
``data/corpus/`` also carry ``style`` (weibo, tieba, forum, wechat, news) and ``writer`` — used to
hold out whole styles or writers in evaluation, never as features.

Bad records are never skipped silently: :func:`read_labelled` raises :class:`CorpusError` listing
every problem with ``file:line`` (or, with ``strict=False``, returns them alongside the good ones).
:func:`data_version` is the hash that identifies a training set in the model card.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from yuqing.pipeline.core.record import SENTIMENTS
from yuqing.pipeline.core.resources import shipped
from yuqing.pipeline.core.taxonomy import Taxonomy, load_taxonomy
from yuqing.pipeline.core.tokenizer import SENTIMENT_LEXICON, STOP_WORDS, USER_DICT

CORPUS_DIR = shipped("data", "corpus")


class CorpusError(ValueError):
    """Labelled data that cannot be used, with every problem's file and line."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = "\n  ".join(problems[:20])
        more = f"\n  … and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{len(problems)} bad labelled record(s):\n  {shown}{more}")


@dataclass
class Example:
    text: str
    topics: list[str] | None      # None: the record has no topic labels (evaluate sentiment only)
    sentiment: str | None
    style: str = ""
    writer: str = ""
    where: str = ""               # file:line
    extra: dict = field(default_factory=dict, repr=False)

    @property
    def group(self) -> str:
        """The hold-out unit: one writer's posts in one style."""
        return f"{self.writer or '?'}-{self.style or '?'}"


def corpus_files(paths: Iterable[str | Path] | None = None) -> list[Path]:
    """The JSONL files named by ``paths`` (files or directories); the shipped corpus by default."""
    paths = [CORPUS_DIR] if not paths else [Path(p) for p in paths]
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files.extend(sorted(p.glob("*.jsonl")))
        elif p.exists():
            files.append(p)
        else:
            raise CorpusError([f"{p}: no such file or directory"])
    if not files:
        raise CorpusError([f"{', '.join(map(str, paths))}: no *.jsonl files"])
    return files


#: bumped whenever features or models change in a way that makes saved models stale
MODEL_VERSION = "2"


def data_version(files: Iterable[Path], taxonomy: Taxonomy | None = None) -> str:
    """sha256 over the training files' names and bytes, the tokeniser dictionaries, the taxonomy
    keywords (they are features) and :data:`MODEL_VERSION`."""

    taxonomy = taxonomy or load_taxonomy()
    h = hashlib.sha256(MODEL_VERSION.encode())
    h.update(json.dumps({t.id: t.keywords for t in taxonomy.topics}, ensure_ascii=False, sort_keys=True).encode())
    for f in sorted(Path(x) for x in files):
        h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    for f in (USER_DICT, STOP_WORDS, SENTIMENT_LEXICON):
        if f.exists():
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def parse_record(obj: object, where: str, taxonomy: Taxonomy, *, require_labels: bool = True) -> Example:
    """One labelled record → :class:`Example`; raises ``ValueError`` with what is wrong."""
    if not isinstance(obj, dict):
        raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
    title = obj.get("title") or ""
    content = obj.get("content")
    if content is None:
        content = obj.get("text") or ""
    if not isinstance(title, str) or not isinstance(content, str):
        raise ValueError("title and content must be strings")
    text = f"{title}\n{content}" if title else content
    if not text.strip():
        raise ValueError("content: empty (no title and no content)")
    topics = obj.get("topics")
    if topics is not None:
        if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
            raise ValueError("topics: must be a list of taxonomy ids")
        if len(topics) > 3:
            raise ValueError(f"topics: at most 3, got {len(topics)}")
        taxonomy.check_ids(topics, "topics")
        topics = list(dict.fromkeys(topics))
    sentiment = obj.get("sentiment")
    if isinstance(sentiment, dict):  # a Post-shaped record
        sentiment = sentiment.get("label")
    if sentiment is not None and sentiment not in SENTIMENTS:
        raise ValueError(f"sentiment: must be one of {', '.join(SENTIMENTS)}, got {sentiment!r}")
    if require_labels and (topics is None or sentiment is None):
        missing = [k for k, v in (("topics", topics), ("sentiment", sentiment)) if v is None]
        raise ValueError(f"missing label(s): {', '.join(missing)}")
    if topics is None and sentiment is None:
        raise ValueError("no labels: needs topics and/or sentiment")
    return Example(text=text, topics=topics, sentiment=sentiment, style=str(obj.get("style") or ""),
                   writer=str(obj.get("writer") or ""), where=where)


def read_labelled(paths: Iterable[str | Path] | None = None, taxonomy: Taxonomy | None = None, *,
                  require_labels: bool = True, strict: bool = True) -> tuple[list[Example], list[str]]:
    """All examples in ``paths`` (default: the shipped corpus) and the list of problems.

    With ``strict`` (the default) any problem raises :class:`CorpusError`.
    """
    taxonomy = taxonomy or load_taxonomy()
    examples: list[Example] = []
    problems: list[str] = []
    for f in corpus_files(paths):
        with open(f, "rb") as fh:
            for number, raw in enumerate(fh, start=1):
                where = f"{f}:{number}"
                if not raw.strip():
                    continue
                try:
                    obj = json.loads(raw.decode("utf-8"))
                    examples.append(parse_record(obj, where, taxonomy, require_labels=require_labels))
                except UnicodeDecodeError as exc:
                    problems.append(f"{where}: not UTF-8 (byte {exc.start})")
                except json.JSONDecodeError as exc:
                    problems.append(f"{where}: invalid JSON at column {exc.colno}: {exc.msg}")
                except ValueError as exc:
                    problems.append(f"{where}: {exc}")
    if strict and problems:
        raise CorpusError(problems)
    return examples, problems
