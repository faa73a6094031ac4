"""Feature extraction for the classifier pipelines — every callable here is module-level or a small
class with plain attributes, so fitted pipelines pickle and round-trip through skops.

A pipeline starts with :class:`Prepare`, which turns raw texts into :class:`Doc` objects once
(cleaned, normalised, segmented by :func:`yuqing.pipeline.core.tokenizer.analyze`). The vectorisers then read
them through analyzers:

* :class:`WordAnalyzer` — word unigrams and bigrams; optionally without stop words (topics) and
  with negation scope marks (sentiment: the two tokens after 不/没/别/未/无… within a clause also
  appear as ``非:token``, so "不满意" and "满意" pull apart even when segmented "不 满意").
* :class:`CharAnalyzer` — character n-grams of the tokens joined without spaces: robust to
  segmentation errors, unseen words and slang spelt several ways. Cached on the :class:`Doc`, so the
  second head reuses the first head's list.
* :class:`CueAnalyzer` — sentiment cues as tokens: hits of our sentiment lexicon
  (``data/dict/sentiment.txt``) as ``lex:+``/``lex:-`` with the sign flipped under a negation;
  sarcasm (praise words next to a negative emoticon or 呵呵, scare quotes around praise such as
  “良心”企业); rhetorical questions and emphatic punctuation; the clause after an adversative
  (但是/可是/却: the stance after them usually wins).
* :class:`KeywordAnalyzer` — ``kw:<topic>`` for taxonomy keywords found in the text (Aho-Corasick).
  Measured worse across writers, so not in the default pipelines (kept for experiments).

Because :class:`Prepare` is the same in both heads, the classifier segments a batch once and feeds
the prepared docs to both heads' remaining steps (see :meth:`yuqing.classifiers.model.Model.predict`).
"""

from __future__ import annotations

from operator import add

from sklearn.base import BaseEstimator, TransformerMixin

from yuqing.pipeline.core.tokenizer import (
    KEPT_PUNCT,
    MENTION_TOKEN,
    URL_TOKEN,
    analyze,
    normalize_text,
    sentiment_lexicon,
    stop_words,
)

#: the longest text considered; longer input is cut (a 1 MB paste classifies by its first part)
DEFAULT_MAX_CHARS = 20_000

NEGATORS = frozenset("不 没 没有 别 未 无 非 不是 不会 不能 不要 不用 从不 并不 并没有 毫不 决不 绝不 不再 甭 莫 勿".split())
ADVERSATIVES = frozenset("但 但是 可是 却 然而 不过 只是".split())
PRAISE = frozenset("感谢 谢谢 良心 伟大 优秀 厉害 真好 太好了 好样的 福报 贴心 暖心 人性化 真棒 赞 给力 佩服 仁慈 慈善 "
                   "体贴 大方 感恩 幸福 开心 高兴 棒 牛 优待 关怀 格局".split())
NEGATIVE_EMOJI = frozenset(["[微笑]", "[呵呵]", "[汗]", "[怒]", "[泪]", "[衰]", "[生病]", "[吐]", "[白眼]", "[哼]",
                            "[鄙视]", "[抓狂]", "[委屈]", "[伤心]", "[晕]", "[摊手]", "[裂开]", "[允悲]", "[doge]",
                            "🙄", "😅", "🙃", "😓", "😒", "😡", "😤", "😭", "😢", "💔", "🤮", "😑", "🌚"])
SARCASM_WORDS = frozenset("呵呵 呵 真是 可真 好一个 所谓 难怪 不愧 果然 感谢 谢谢 笑死 绝了 服了 又 再次 一如既往".split())
_QUOTES = ("“", "”", "\"", "'", "「", "」")
_CLAUSE_END = KEPT_PUNCT | {",", ".", ";", ":"}


class Doc:
    """A prepared text: tokens, the tokens joined (for char n-grams), the raw text, and a cache
    that lets the second head reuse features the first computed (char n-grams)."""

    __slots__ = ("tokens", "chars", "raw", "cache")

    def __init__(self, tokens: list[str], chars: str, raw: str):
        self.tokens = tokens
        self.chars = chars  # the tokens joined without spaces (no URL/mention placeholders)
        self.raw = raw      # the original text (cues that need punctuation read it)
        self.cache: dict = {}


def prepare_text(text: str, max_chars: int = DEFAULT_MAX_CHARS) -> Doc:
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    if len(text) > max_chars:
        text = text[:max_chars]
    tokens = analyze(text)
    chars = "".join(t for t in tokens if t != URL_TOKEN and t != MENTION_TOKEN)
    return Doc(tokens, chars, text)


class Prepare(TransformerMixin, BaseEstimator):
    """Raw texts → :class:`Doc` (stateless; the shared first step of both heads)."""

    def __init__(self, max_chars: int = DEFAULT_MAX_CHARS):
        self.max_chars = max_chars

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        m = self.max_chars
        return [x if isinstance(x, Doc) else prepare_text(x, m) for x in X]


def negation_scope(tokens: list[str]):
    """``(token, negated)`` for each token that is neither a negator nor a clause end; a token is
    negated when it is one of the two after a negator (不/没/别…) within the same clause."""
    scope = 0
    for tok in tokens:
        if tok in NEGATORS:
            scope = 2
            continue
        if tok in _CLAUSE_END:
            scope = 0
            continue
        yield tok, scope > 0
        if scope:
            scope -= 1


def _negated(tokens: list[str]) -> list[str]:
    return ["非:" + tok for tok, negated in negation_scope(tokens) if negated]


_BIGRAM = "{} {}".format


class WordAnalyzer:
    """Word n-grams of a :class:`Doc` (1..``ngram``), with optional stop words and negation marks."""

    def __init__(self, ngram: int = 2, drop_stop_words: bool = False, negation: bool = False):
        self.ngram = ngram
        self.drop_stop_words = drop_stop_words
        self.negation = negation

    def __call__(self, doc: Doc) -> list[str]:
        toks = doc.tokens
        if self.drop_stop_words:
            stop = stop_words()
            toks = [t for t in toks if t not in stop]
        feats = list(toks)
        if self.ngram >= 2:
            feats.extend(map(_BIGRAM, toks, toks[1:]))
        if self.ngram >= 3:
            feats.extend([a + " " + b + " " + c for a, b, c in zip(toks, toks[1:], toks[2:], strict=False)])
        if self.negation:
            feats.extend(_negated(doc.tokens))
        return feats

    def __repr__(self) -> str:
        return f"WordAnalyzer(ngram={self.ngram}, drop_stop_words={self.drop_stop_words}, negation={self.negation})"


class CharAnalyzer:
    """Character n-grams (``lo``..``hi``) of the joined tokens."""

    def __init__(self, lo: int = 2, hi: int = 3):
        self.lo = lo
        self.hi = hi

    def __call__(self, doc: Doc) -> list[str]:
        key = ("char", self.lo, self.hi)
        out = doc.cache.get(key)
        if out is None:
            s = doc.chars
            out = []
            for k in range(self.lo, self.hi + 1):
                if k == 1:
                    out.extend(s)
                elif k == 2:
                    out.extend(map(add, s, s[1:]))
                else:
                    out.extend([s[i:i + k] for i in range(len(s) - k + 1)])
            doc.cache[key] = out
        return out

    def __repr__(self) -> str:
        return f"CharAnalyzer(lo={self.lo}, hi={self.hi})"


def lexicon_cues(tokens: list[str]) -> list[str]:
    """``lex:+`` / ``lex:-`` once per sentiment-lexicon hit, the sign flipped after a negation
    (and for one-token negations such as 不满意)."""
    lex = sentiment_lexicon()
    out: list[str] = []
    for tok, negated in negation_scope(tokens):
        sign = lex.get(tok)
        if sign is None and len(tok) > 1 and tok[0] in "不没" and tok[1:] in lex:
            sign = -lex[tok[1:]]
        if sign is not None:
            out.append("lex:+" if (sign > 0) != negated else "lex:-")
    return out


_AUTOMATA: dict[tuple, object] = {}


def _automaton(keywords: dict[str, list[str]]):
    """An Aho-Corasick automaton over all keywords (built once per keyword set, not saved)."""
    key = tuple((t, tuple(ws)) for t, ws in sorted(keywords.items()))
    auto = _AUTOMATA.get(key)
    if auto is None:
        import ahocorasick


        auto = ahocorasick.Automaton()
        found: dict[str, set[str]] = {}
        for topic, words in keywords.items():
            for w in words:
                w = normalize_text(w).replace(" ", "")
                if w:
                    found.setdefault(w, set()).add(topic)
        for w, topics in found.items():
            auto.add_word(w, (w, tuple(sorted(topics))))
        auto.make_automaton()
        _AUTOMATA[key] = auto
    return auto


class KeywordAnalyzer:
    """``kw:<topic>`` once per distinct taxonomy keyword found in the text (``config/taxonomy.yaml``
    keywords, frozen into the model at training): a prior that reaches words the corpus lacks."""

    def __init__(self, keywords: dict[str, list[str]] | None = None):
        self.keywords = keywords

    def __call__(self, doc: Doc) -> list[str]:
        if not self.keywords or not doc.chars:
            return []
        seen: set[str] = set()
        out: list[str] = []
        for _, (word, topics) in _automaton(self.keywords).iter(doc.chars):
            if word not in seen:
                seen.add(word)
                out.extend("kw:" + t for t in topics)
        return out

    def __repr__(self) -> str:
        return f"KeywordAnalyzer({sum(map(len, (self.keywords or {}).values()))} keywords)"


class CueAnalyzer:
    """Sentiment cue tokens (``cue:...``, ``lex:±``) — see the module docstring."""

    def __init__(self, lexicon: bool = True):
        self.lexicon = lexicon

    def __call__(self, doc: Doc) -> list[str]:
        toks = doc.tokens
        tokset = set(toks)
        out: list[str] = lexicon_cues(toks) if getattr(self, "lexicon", True) else []
        praise = tokset & PRAISE
        neg_emoji = tokset & NEGATIVE_EMOJI
        if praise and (neg_emoji or "呵呵" in tokset):
            out.append("cue:praise+negemoji")
        if praise and tokset & SARCASM_WORDS:
            out.append("cue:praise+sarcasm")
        raw = doc.raw
        if any(q in raw for q in _QUOTES) and praise:
            out.append("cue:quoted-praise")
        if tokset & ADVERSATIVES:
            # the clause after the last adversative, as marked tokens
            last = max(i for i, t in enumerate(toks) if t in ADVERSATIVES)
            out.extend("后:" + t for t in toks[last + 1:last + 6])
        nq = toks.count("?")
        if nq:
            out.append("cue:question" if nq == 1 else "cue:questions")
        if toks.count("!") >= 2:
            out.append("cue:exclaim")
        if not toks:
            out.append("cue:empty")
        return out

    def __repr__(self) -> str:
        return f"CueAnalyzer(lexicon={self.lexicon})"
