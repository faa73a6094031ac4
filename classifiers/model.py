"""The two classifier heads, built as scikit-learn Pipelines, and the model that holds them.

Heads (one Pipeline object each, trained, saved and evaluated whole):

* **topics** — ``Prepare → FeatureUnion(word n-grams w/o stop words, char 1–2-grams) →
  ThresholdedOneVsRest``: one logistic regression per topic, each with its own decision threshold
  chosen on internal cross-validation to maximise that topic's F1; a post gets the topics above
  their thresholds, at most ``max_labels`` (3), highest margin first. None means "not about
  workers' interests".
* **sentiment** — ``Prepare → FeatureUnion(word n-grams with negation marks, char 1–2-grams,
  sentiment cues) → LogisticRegression`` (3 classes, balanced class weights); the probabilities are
  the scores of :class:`yuqing.pipeline.core.record.Sentiment`.

The feature choices are the measured ones (``classifiers/README.md`` lists what was tried).
:class:`Model` runs ``Prepare`` once per batch and gives its output to both heads, explains
predictions (top contributing features per label: tf-idf value × coefficient), and is saved by
:mod:`yuqing.classifiers.store`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import repeat

import numpy as np
import scipy.sparse as sparse
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold
from sklearn.pipeline import FeatureUnion, Pipeline

from yuqing.classifiers.features import CharAnalyzer, CueAnalyzer, Doc, KeywordAnalyzer, Prepare, WordAnalyzer
from yuqing.pipeline.core.taxonomy import TOPIC_IDS

SENTIMENT_LABELS = ("negative", "neutral", "positive")


def binarize(y, labels) -> np.ndarray:
    """Lists of label ids (or an indicator matrix) → indicator matrix over ``labels``."""
    if isinstance(y, np.ndarray) and y.ndim == 2:
        return y.astype(np.int8)
    index = {lab: j for j, lab in enumerate(labels)}
    Y = np.zeros((len(y), len(labels)), dtype=np.int8)
    for i, ids in enumerate(y):
        for lab in ids:
            Y[i, index[lab]] = 1
    return Y


def best_f1_threshold(scores: np.ndarray, truth: np.ndarray, default: float = 0.0) -> float:
    """The decision threshold maximising F1 of ``scores >= t`` against ``truth`` (0/1)."""
    pos = int(truth.sum())
    if pos == 0:
        return float("inf")
    order = np.argsort(-scores, kind="stable")
    s, t = scores[order], truth[order]
    tp = np.cumsum(t)
    k = np.arange(1, len(s) + 1)
    f1 = 2 * tp / (k + pos)
    # only cut between distinct scores
    distinct = np.r_[s[1:] != s[:-1], True]
    f1 = np.where(distinct, f1, -1)
    best = int(np.argmax(f1))
    if f1[best] <= 0:
        return default
    nxt = s[best + 1] if best + 1 < len(s) else s[best] - 1.0
    return float((s[best] + nxt) / 2)


class ThresholdedOneVsRest(ClassifierMixin, BaseEstimator):
    """Multi-label one-vs-rest logistic regression with a tuned threshold per label.

    ``fit(X, y)`` takes lists of label ids (or an indicator matrix over ``labels``). Thresholds
    come from ``threshold_cv``-fold out-of-fold decision scores. ``predict`` returns an indicator
    matrix with at most ``max_labels`` ones per row. Coefficients are kept as plain arrays
    (``coef_``, ``intercept_``), which makes prediction one sparse matrix product.
    """

    def __init__(self, labels=TOPIC_IDS, C: float = 4.0, class_weight="balanced", max_labels: int = 3,
                 threshold_cv: int = 3, min_threshold: float | None = None, random_state: int = 0):
        self.labels = labels
        self.C = C
        self.class_weight = class_weight
        self.max_labels = max_labels
        self.threshold_cv = threshold_cv
        self.min_threshold = min_threshold
        self.random_state = random_state

    def _base(self) -> LogisticRegression:
        return LogisticRegression(C=self.C, class_weight=self.class_weight, solver="liblinear",
                                  max_iter=1000, random_state=self.random_state)

    def _fit_one(self, X, t):
        if t.min() == t.max():
            return np.zeros(X.shape[1]), (10.0 if t[0] else -10.0)
        lr = self._base().fit(X, t)
        return lr.coef_[0], float(lr.intercept_[0])

    def fit(self, X, y):
        labels = list(self.labels)
        Y = binarize(y, labels)
        self.classes_ = np.array(labels)
        n_feat = X.shape[1]
        self.coef_ = np.zeros((len(labels), n_feat))
        self.intercept_ = np.zeros(len(labels))
        for j in range(len(labels)):
            self.coef_[j], self.intercept_[j] = self._fit_one(X, Y[:, j])
        self.thresholds_ = np.zeros(len(labels))
        if self.threshold_cv and self.threshold_cv > 1 and X.shape[0] >= 2 * self.threshold_cv:
            oof = np.zeros(Y.shape, dtype=float)
            folds = KFold(self.threshold_cv, shuffle=True, random_state=self.random_state)
            for tr, te in folds.split(np.arange(X.shape[0])):
                for j in range(len(labels)):
                    w, b = self._fit_one(X[tr], Y[tr, j])
                    oof[te, j] = X[te] @ w + b
            for j in range(len(labels)):
                self.thresholds_[j] = best_f1_threshold(oof[:, j], Y[:, j])
        if self.min_threshold is not None:
            self.thresholds_ = np.maximum(self.thresholds_, self.min_threshold)
        self.thresholds_ = np.where(np.isfinite(self.thresholds_), self.thresholds_, 1e9)
        return self

    def decision_function(self, X) -> np.ndarray:
        return np.asarray(X @ self.coef_.T) + self.intercept_

    def margins(self, X) -> np.ndarray:
        """Decision score minus the label's threshold: > 0 means the label is predicted."""
        return self.decision_function(X) - self.thresholds_

    def predict(self, X) -> np.ndarray:
        M = self.margins(X)
        out = (M >= 0).astype(np.int8)
        k = self.max_labels
        if k is not None and out.shape[1] > k:
            too_many = np.flatnonzero(out.sum(axis=1) > k)
            for i in too_many:
                keep = np.argsort(-M[i])[:k]
                out[i] = 0
                out[i, keep] = 1
        return out

    def predict_proba(self, X) -> np.ndarray:
        """Per-label probability of the underlying logistic models (not threshold-adjusted)."""
        return 1.0 / (1.0 + np.exp(-self.decision_function(X)))


# --- pipelines ------------------------------------------------------------------------------


class CompactTfidfVectorizer(TfidfVectorizer):
    """TfidfVectorizer whose saved state keeps the vocabulary as one array of terms.

    skops writes a dict entry by entry (hundreds of bytes per term); as an array the saved model
    is ~10× smaller and loads several times faster. Behaviour is unchanged.
    """

    def __getstate__(self):
        state = dict(super().__getstate__())  # a copy: BaseEstimator returns the live __dict__
        vocab = state.get("vocabulary_")
        if isinstance(vocab, dict):
            terms = [""] * len(vocab)
            for term, j in vocab.items():
                terms[j] = term
            state["vocabulary_"] = None
            state["terms_"] = np.array(terms, dtype=str)
        state.pop("stop_words_", None)  # terms pruned by min_df: introspection only, large
        return state

    def transform(self, raw_documents):
        """As TfidfVectorizer.transform, but the terms are looked up with C-level
        ``map(vocab.get, terms, repeat(V))`` over the whole batch and counted by scipy's
        duplicate summing, instead of sklearn's per-term Python loop (which was about half of the
        classify time). Unknown terms land in an extra column that is dropped."""
        if not callable(self.analyzer) or not isinstance(getattr(self, "vocabulary_", None), dict):
            return super().transform(raw_documents)
        vocab = self.vocabulary_
        n_terms = len(vocab)
        analyzer = self.analyzer
        terms: list[str] = []
        indptr = [0]
        for doc in raw_documents:
            terms.extend(analyzer(doc))
            indptr.append(len(terms))
        idx = np.fromiter(map(vocab.get, terms, repeat(n_terms)), dtype=np.int32, count=len(terms))
        X = sparse.csr_matrix((np.ones(len(terms), dtype=self.dtype), idx, np.asarray(indptr, dtype=np.int64)),
                              shape=(len(indptr) - 1, n_terms + 1))
        X.sum_duplicates()
        return self._tfidf.transform(X[:, :n_terms], copy=False)

    def __setstate__(self, state):
        terms = state.pop("terms_", None)
        if terms is not None:
            state["vocabulary_"] = {str(t): j for j, t in enumerate(terms.tolist())}
        super().__setstate__(state)


def _tfidf(analyzer, min_df: int = 1, max_features: int | None = None) -> TfidfVectorizer:
    return CompactTfidfVectorizer(analyzer=analyzer, lowercase=False, token_pattern=None, sublinear_tf=True,
                           min_df=min_df, max_features=max_features, dtype=np.float32)


def topic_pipeline(*, C: float = 4.0, word_ngram: int = 2, char: tuple[int, int] | None = (1, 2),
                   min_df: int = 2, max_labels: int = 3, keywords: dict[str, list[str]] | None = None) -> Pipeline:
    parts = [("word", _tfidf(WordAnalyzer(ngram=word_ngram, drop_stop_words=True), min_df))]
    if char:
        parts.append(("char", _tfidf(CharAnalyzer(*char), min_df)))
    if keywords:
        parts.append(("keywords", _tfidf(KeywordAnalyzer(keywords))))
    return Pipeline([
        ("prep", Prepare()),
        ("features", FeatureUnion(parts)),
        ("clf", ThresholdedOneVsRest(C=C, max_labels=max_labels)),
    ])


def sentiment_pipeline(*, C: float = 4.0, word_ngram: int = 2, char: tuple[int, int] | None = (1, 2),
                       negation: bool = True, cues: bool = True, lexicon: bool = True, min_df: int = 2) -> Pipeline:
    parts = [("word", _tfidf(WordAnalyzer(ngram=word_ngram, negation=negation), min_df))]
    if char:
        parts.append(("char", _tfidf(CharAnalyzer(*char), min_df)))
    if cues:
        parts.append(("cues", _tfidf(CueAnalyzer(lexicon=lexicon))))
    return Pipeline([
        ("prep", Prepare()),
        ("features", FeatureUnion(parts)),
        ("clf", LogisticRegression(C=C, class_weight="balanced", solver="newton-cg", max_iter=2000)),
    ])


# --- the model ------------------------------------------------------------------------------


@dataclass
class Prediction:
    topics: list[str]
    sentiment: str
    scores: dict[str, float]
    topic_scores: dict[str, float] = field(default_factory=dict)  # margin over threshold, predicted only
    note: str | None = None  # why a text could not be classified normally (e.g. nothing readable)


@dataclass
class Model:
    topics: Pipeline
    sentiment: Pipeline
    card: dict = field(default_factory=dict)

    @property
    def topic_labels(self) -> list[str]:
        return [str(x) for x in self.topics[-1].classes_]

    @property
    def sentiment_labels(self) -> list[str]:
        return [str(x) for x in self.sentiment[-1].classes_]

    def _shared_prep(self) -> bool:
        a, b = self.topics[0], self.sentiment[0]
        return type(a) is type(b) and a.get_params() == b.get_params()

    def prepare(self, texts: list[str]) -> list[Doc]:
        return self.topics[0].transform(texts)

    def predict(self, texts: list[str]) -> list[Prediction]:
        """Topics and sentiment of each text (both heads; segmentation done once)."""
        if not texts:
            return []
        docs = self.prepare(texts)
        t_in = docs
        s_in = docs if self._shared_prep() else texts
        s_steps = self.sentiment[1:] if s_in is docs else self.sentiment
        Xt = self.topics[1:-1].transform(t_in)
        clf = self.topics[-1]
        M = clf.margins(Xt)
        Yt = clf.predict(Xt)
        P = s_steps.predict_proba(s_in)
        labels = self.topic_labels
        slabels = self.sentiment_labels
        out: list[Prediction] = []
        for i, doc in enumerate(docs):
            if not doc.tokens:
                out.append(Prediction([], "neutral", {lab: (1.0 if lab == "neutral" else 0.0) for lab in slabels},
                                      note="no readable words (empty, only punctuation or control characters)"))
                continue
            idx = np.flatnonzero(Yt[i])
            idx = idx[np.argsort(-M[i, idx])]
            scores = {lab: round(float(p), 4) for lab, p in zip(slabels, P[i], strict=True)}
            out.append(Prediction(
                topics=[labels[j] for j in idx],
                sentiment=slabels[int(np.argmax(P[i]))],
                scores=scores,
                topic_scores={labels[j]: round(float(M[i, j]), 3) for j in idx},
            ))
        return out

    # -- explanations ----------------------------------------------------------------------

    @staticmethod
    def _feature_names(pipe: Pipeline) -> np.ndarray:
        return pipe.named_steps["features"].get_feature_names_out()

    def explain(self, text: str, k: int = 6) -> dict:
        """The features that drove each predicted label: ``{"topics": {id: [[term, weight]...]},
        "sentiment": {label: [...]}}``; weight = tf-idf value × coefficient (log-odds contribution)."""
        pred = self.predict([text])[0]
        docs = self.prepare([text])
        result: dict = {"topics": {}, "sentiment": {}}
        Xt = self.topics[1:-1].transform(docs).tocsr()
        names_t = self._feature_names(self.topics)
        clf = self.topics[-1]
        labels = self.topic_labels
        for tid in pred.topics:
            j = labels.index(tid)
            result["topics"][tid] = _top_terms(Xt, clf.coef_[j], names_t, k)
        Xs = self.sentiment[1:-1].transform(docs).tocsr()
        names_s = self._feature_names(self.sentiment)
        lr = self.sentiment[-1]
        slabels = self.sentiment_labels
        j = slabels.index(pred.sentiment)
        coef = lr.coef_[j] if lr.coef_.shape[0] > 1 else (lr.coef_[0] if j == 1 else -lr.coef_[0])
        result["sentiment"][pred.sentiment] = _top_terms(Xs, coef, names_s, k)
        return result


def _top_terms(X, coef: np.ndarray, names: np.ndarray, k: int) -> list[list]:
    row = X[0]
    idx = row.indices
    contrib = row.data * coef[idx]
    order = np.argsort(-contrib)[:k]
    out = []
    for o in order:
        if contrib[o] <= 0:
            break
        name = str(names[idx[o]])
        kind, _, term = name.partition("__")
        out.append([term if kind == "word" else f"{term}（{_KIND.get(kind, kind)}）", round(float(contrib[o]), 3)])
    return out


_KIND = {"char": "字串", "cues": "线索", "keywords": "关键词"}


def fit_model(texts: list[str], topics: list[list[str]], sentiments: list[str], *,
              topic_params: dict | None = None, sentiment_params: dict | None = None,
              labels=TOPIC_IDS, keywords: dict[str, list[str]] | None = None) -> Model:
    """Fit both heads on the same texts (segmenting once), BLAS/OpenMP limited to one thread
    (on a shared 2-core machine, threaded BLAS made fitting ~6× slower)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _fit_model(texts, topics, sentiments, topic_params, sentiment_params, labels, keywords)


def _fit_model(texts, topics, sentiments, topic_params, sentiment_params, labels, keywords) -> Model:
    topic_params = dict(topic_params or {})
    if keywords is not None:
        topic_params.setdefault("keywords", keywords)
    tp = topic_pipeline(**topic_params)
    sp = sentiment_pipeline(**(sentiment_params or {}))
    tp.set_params(clf__labels=tuple(labels))
    docs = tp[0].transform(texts)
    # fit the heads' remaining steps on the prepared docs, then keep the pipelines whole
    tp[1:].fit(docs, topics)
    sp[1:].fit(docs, list(sentiments))
    return Model(topics=tp, sentiment=sp)


def clone_model(model: Model) -> Model:
    return Model(topics=clone(model.topics), sentiment=clone(model.sentiment))
