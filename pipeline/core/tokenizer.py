"""Chinese tokenisation shared by the classifiers and the search index.

Layers, each usable alone:

* :func:`normalize_text` — NFKC (full-width → half-width, compatibility forms), lower case, and
  traditional → simplified folding with a character table built once from zhconv's zh-hans
  dictionary (``str.translate``: ~4× faster than ``zhconv.convert`` and, on simplified text, a
  no-op; see ``classifiers/README.md`` for the measurement). Signature kept for the search index.
* :func:`clean_text` — control and format characters (except newline/tab) become spaces, so a
  stray ``\\x00`` or a zero-width joiner cannot glue or split words.
* A segmentation engine (:class:`Engine`): :class:`RJiebaEngine` (jieba's algorithm in Rust, the
  default, ~20× faster) or :class:`JiebaEngine` (the reference implementation), both loaded with our
  user dictionary ``data/dict/userdict.txt`` (labour vocabulary, slang such as 打工人/福报/996/润/
  摸鱼, Chaoyang place names) and HMM off, which makes the two produce identical tokens. The engine
  is built once per process (:func:`engine`, :func:`reference_engine`).
* :func:`segment` / :func:`segment_for_search` — precise-mode and search-mode tokens of normalised
  text (used by ``pipeline/textindex.py``).
* :func:`analyze` — the classifier's token stream: URLs become ``_url_``, @mentions ``_at_``, Weibo
  emoticon codes like ``[泪]`` stay whole, unicode emoji stay as tokens (they carry sentiment; skin
  tone modifiers and variation selectors are dropped), punctuation other than ``! ? ~ …`` is dropped,
  whitespace is dropped.

Stop words (``data/dict/stopwords.txt``) are applied by the feature functions that want them
(:mod:`yuqing.classifiers.features`), not here: negations and interjections matter for sentiment.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import emoji

from yuqing.pipeline.core.resources import shipped

DATA_DIR = shipped("data")
USER_DICT = DATA_DIR / "dict" / "userdict.txt"
STOP_WORDS = DATA_DIR / "dict" / "stopwords.txt"
SENTIMENT_LEXICON = DATA_DIR / "dict" / "sentiment.txt"

URL_TOKEN = "_url_"
MENTION_TOKEN = "_at_"

_lock = threading.Lock()


# --- normalisation ---------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _t2s_table() -> dict[int, str]:
    """Single-character traditional → simplified table from zhconv's zh-hans dictionary."""
    import zhconv

    zhconv.zhconv.getdict("zh-hans")
    table = zhconv.zhconv.zhcdicts["zh2Hans"]
    return str.maketrans({k: v for k, v in table.items() if len(k) == 1 and len(v) == 1 and k != v})


def to_simplified(text: str) -> str:
    """Fold traditional characters to simplified, character by character."""
    return text.translate(_t2s_table())


@lru_cache(maxsize=1)
def _traditional() -> frozenset[str]:
    return frozenset(chr(k) for k in _t2s_table())


def normalize_text(text: str) -> str:
    """NFKC (full-width → half-width, compatibility forms), lower case, traditional → simplified
    (the table only runs over text that has a traditional character: a third of the time)."""
    text = unicodedata.normalize("NFKC", text).lower()
    return text if _traditional().isdisjoint(text) else text.translate(_t2s_table())


# control (Cc) and format (Cf) characters except \t \n \r; also lone surrogates
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ud800-\udfff]")


def clean_text(text: str) -> str:
    """Control/format characters and lone surrogates become spaces."""
    return _CONTROL.sub(" ", text)


# --- engines ---------------------------------------------------------------------------------


class Engine(Protocol):
    name: str

    def cut(self, text: str) -> list[str]: ...

    def cut_for_search(self, text: str) -> list[str]: ...


def dict_lines(path: Path):
    """``(line number, stripped line)`` of a dictionary file, without blank lines and # comments."""
    if not path.exists():
        return
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if line and not line.startswith("#"):
            yield number, line


def read_user_dict(path: Path = USER_DICT) -> list[tuple[str, int | None]]:
    """``(word, frequency or None)`` entries of a jieba user dictionary, normalised."""
    words: list[tuple[str, int | None]] = []
    for number, line in dict_lines(path):
        parts = line.split()
        freq = None
        if len(parts) > 1:
            if not parts[1].isdigit():
                raise ValueError(f"{path}:{number}: frequency must be a whole number, got {parts[1]!r}")
            freq = int(parts[1])
        words.append((normalize_text(parts[0]), freq))
    return words


class RJiebaEngine:
    """rjieba (Rust) with the user dictionary; HMM off (identical to jieba's tokens)."""

    name = "rjieba"

    def __init__(self, user_dict: Path = USER_DICT):
        import rjieba

        self._seg = rjieba.Jieba()
        for word, freq in read_user_dict(user_dict):
            self._seg.add_word(word, freq, None)

    def cut(self, text: str) -> list[str]:
        return self._seg.cut(text, False)

    def cut_for_search(self, text: str) -> list[str]:
        return self._seg.cut_for_search(text, False)


class JiebaEngine:
    """The reference: Python jieba with its own dictionary instance, the user words, HMM off."""

    name = "jieba"

    def __init__(self, user_dict: Path = USER_DICT):
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)
        self._seg = jieba.Tokenizer()
        self._seg.initialize()
        for word, freq in read_user_dict(user_dict):
            self._seg.add_word(word, freq)

    def cut(self, text: str) -> list[str]:
        return self._seg.lcut(text, HMM=False)

    def cut_for_search(self, text: str) -> list[str]:
        return self._seg.lcut_for_search(text, HMM=False)


@lru_cache(maxsize=1)
def engine() -> RJiebaEngine:
    """The shared segmenter with the user dictionary loaded (once per process)."""
    with _lock:
        return RJiebaEngine()


@lru_cache(maxsize=1)
def reference_engine() -> JiebaEngine:
    """Python jieba with the same dictionary: the reference :func:`engine` is measured against."""
    with _lock:
        return JiebaEngine()


def segment(text: str) -> list[str]:
    """Precise-mode tokens of normalised text (HMM off: deterministic and fast)."""
    return engine().cut(normalize_text(text))


def segment_for_search(text: str) -> list[str]:
    """Search-mode tokens: whole words plus their dictionary sub-words, for indexing."""
    return engine().cut_for_search(normalize_text(text))


# --- classifier tokens -----------------------------------------------------------------------

# URLs, @mentions (Weibo names: letters, digits, CJK, - and _), Weibo emoticon codes [泪] [doge]
_SPECIAL = re.compile(r"(https?://[^\s\u3000-\u303f\uff00-\uffef\u4e00-\u9fff]+|www\.[a-z0-9.\-]+[^\s\u4e00-\u9fff]*"
                      r"|@[\w\-]{1,30}|\[[\u4e00-\u9fffa-z0-9]{1,8}\])")
#: punctuation that carries tone and is kept as a token
KEPT_PUNCT = frozenset("!?~…")
_DROP_IN_EMOJI = str.maketrans("", "", "\ufe0f\ufe0e\u200d\U0001f3fb\U0001f3fc\U0001f3fd\U0001f3fe\U0001f3ff")


@lru_cache(maxsize=4096)
def _keep(token: str) -> str | None:
    """What a raw engine token becomes: itself, an emoji, a kept punctuation mark, or nothing."""
    if token.isspace() or not token:
        return None
    if token in KEPT_PUNCT:
        return token
    if any(ch.isalnum() for ch in token):
        return token
    stripped = token.translate(_DROP_IN_EMOJI)
    if stripped and (emoji.is_emoji(stripped) or unicodedata.category(stripped[0]) == "So"):
        return stripped  # emoji (the emoji package's list) and other pictographs
    return None


def analyze(text: str, seg: Engine | None = None) -> list[str]:
    """Classifier tokens of raw ``text`` (normalised, specials folded; see the module docstring)."""
    text = normalize_text(clean_text(text))
    cut = (seg or engine()).cut
    out: list[str] = []
    keep = _keep
    parts = _SPECIAL.split(text)
    for i, part in enumerate(parts):
        if not part:
            continue
        if i % 2:  # a special span
            c = part[0]
            out.append(URL_TOKEN if c in "hw" else MENTION_TOKEN if c == "@" else part)
            continue
        for tok in cut(part):
            kept = keep(tok)
            if kept is not None:
                out.append(kept)
    return out


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """The stop-word list (normalised), loaded once."""
    return frozenset(normalize_text(line) for _, line in dict_lines(STOP_WORDS))


@lru_cache(maxsize=1)
def sentiment_lexicon() -> dict[str, int]:
    """word → +1 / -1 from ``data/dict/sentiment.txt`` (normalised), loaded once."""
    lex: dict[str, int] = {}
    for number, line in dict_lines(SENTIMENT_LEXICON):
        word, _, sign = line.partition("\t")
        if sign.strip() not in ("+1", "-1"):
            raise ValueError(f"{SENTIMENT_LEXICON}:{number}: expected 'word<TAB>+1' or '-1', got {line!r}")
        lex[normalize_text(word.strip())] = int(sign)
    return lex
