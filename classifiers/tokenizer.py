"""Chinese tokenisation shared by the classifiers and the search index.

The engine is ``rjieba`` (jieba's algorithm in Rust, identical tokens with HMM off) loaded with
our user dictionary (``data/dict/userdict.txt``: labour vocabulary, internet slang, Chaoyang place
names). Text is first folded by :func:`normalize_text` so full-width and half-width forms, and
upper and lower case, tokenise alike. The dictionary is loaded once per process and cached.
"""

from __future__ import annotations

import threading
import unicodedata
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
USER_DICT = DATA_DIR / "dict" / "userdict.txt"

_lock = threading.Lock()


def normalize_text(text: str) -> str:
    """NFKC (full-width → half-width, compatibility forms) and lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def _read_user_dict(path: Path) -> list[tuple[str, int | None]]:
    words: list[tuple[str, int | None]] = []
    if not path.exists():
        return words
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        freq = None
        if len(parts) > 1:
            if not parts[1].isdigit():
                raise ValueError(f"{path}:{number}: frequency must be a whole number, got {parts[1]!r}")
            freq = int(parts[1])
        words.append((normalize_text(parts[0]), freq))
    return words


@lru_cache(maxsize=1)
def engine():
    """The shared segmenter with the user dictionary loaded (once per process)."""
    import rjieba

    with _lock:
        seg = rjieba.Jieba()
        for word, freq in _read_user_dict(USER_DICT):
            seg.add_word(word, freq, None)
        return seg


def segment(text: str) -> list[str]:
    """Precise-mode tokens of normalised text (HMM off: deterministic and fast)."""
    return engine().cut(normalize_text(text), False)


def segment_for_search(text: str) -> list[str]:
    """Search-mode tokens: whole words plus their dictionary sub-words, for indexing."""
    return engine().cut_for_search(normalize_text(text), False)
