"""Metrics for both heads, cross-validation by held-out groups, and the evaluation report.

:func:`score` compares predictions with labels:

* topics — per-label precision/recall/F1/support, micro-F1 (all label decisions pooled),
  macro-F1 (mean over the labels that occur in the gold data: a label absent from an evaluation
  file has no defined recall and is listed but not averaged), exact-match ratio (the whole topic
  set right, including "no topic"), and the "any worker topic vs none" relevance F1;
* sentiment — accuracy, macro-F1, per-class P/R/F1 and the confusion matrix (rows = gold).

Records without topic labels (or without sentiment) are scored on the other head only, so a
sentiment-only dataset can be evaluated too.

:func:`cross_validate` gives out-of-fold predictions where each fold holds out whole groups
(writer × style): the honest estimate for text written differently from the training data.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support
from sklearn.model_selection import GroupKFold, KFold

from yuqing.classifiers.corpus import Example
from yuqing.classifiers.features import Prepare
from yuqing.classifiers.model import SENTIMENT_LABELS, Model, Prediction, binarize, fit_model
from yuqing.pipeline.core.taxonomy import TOPIC_IDS


def _r(x: float) -> float:
    return round(float(x), 4)


def score(examples: list[Example], preds: list[Prediction], labels=TOPIC_IDS) -> dict:
    """The metrics dict (see the module docstring); keys are stable for ``--json``."""
    labels = list(labels)
    report: dict = {"n": len(examples)}
    t_idx = [i for i, e in enumerate(examples) if e.topics is not None]
    if t_idx:
        Yt = binarize([examples[i].topics for i in t_idx], labels)
        Yp = binarize([[t for t in preds[i].topics if t in labels] for i in t_idx], labels)
        p, r, f, s = precision_recall_fscore_support(Yt, Yp, average=None, zero_division=0)
        present = Yt.sum(axis=0) > 0
        per = {lab: {"precision": _r(p[j]), "recall": _r(r[j]), "f1": _r(f[j]), "support": int(s[j]),
                     "predicted": int(Yp[:, j].sum())} for j, lab in enumerate(labels)}
        any_t, any_p = Yt.any(axis=1), Yp.any(axis=1)
        report["topics"] = {
            "n": len(t_idx),
            "macro_f1": _r(f[present].mean()) if present.any() else None,
            "micro_f1": _r(f1_score(Yt, Yp, average="micro", zero_division=0)),
            "macro_precision": _r(p[present].mean()) if present.any() else None,
            "macro_recall": _r(r[present].mean()) if present.any() else None,
            "exact_match": _r((Yt == Yp).all(axis=1).mean()),
            "relevance_f1": _r(f1_score(any_t, any_p, zero_division=0)),
            "labels_averaged": [lab for j, lab in enumerate(labels) if present[j]],
            "per_label": per,
        }
    s_idx = [i for i, e in enumerate(examples) if e.sentiment is not None]
    if s_idx:
        gold = [examples[i].sentiment for i in s_idx]
        pred = [preds[i].sentiment for i in s_idx]
        slabels = list(SENTIMENT_LABELS)
        present = [lab for lab in slabels if lab in gold]
        p, r, f, s = precision_recall_fscore_support(gold, pred, labels=slabels, zero_division=0)
        report["sentiment"] = {
            "n": len(s_idx),
            "accuracy": _r(accuracy_score(gold, pred)),
            "macro_f1": _r(f1_score(gold, pred, labels=present, average="macro", zero_division=0)),
            "labels_averaged": present,
            "per_class": {lab: {"precision": _r(p[j]), "recall": _r(r[j]), "f1": _r(f[j]), "support": int(s[j])}
                          for j, lab in enumerate(slabels)},
            "confusion": {"labels": slabels,
                          "matrix": confusion_matrix(gold, pred, labels=slabels).tolist()},
        }
    return report


def fit_examples(examples: list[Example], docs: list | None = None, **params) -> Model:
    """Fit both heads (``keywords``: taxonomy keywords as topic features — measured worse
    across writers, so off unless given). ``docs``: the examples already prepared."""
    return fit_model(docs if docs is not None else [e.text for e in examples], [e.topics or [] for e in examples],
                     [e.sentiment for e in examples], **params)


def cross_validate(examples: list[Example], *, by: str = "group", n_splits: int = 5,
                   fit: Callable[[list[Example]], Model] = fit_examples, seed: int = 0) -> tuple[list[Prediction], dict]:
    """Out-of-fold predictions for every example and a description of the folds.

    ``by="group"``: each fold holds out whole writer×style groups (GroupKFold, at most
    ``n_splits`` folds); ``by="random"``: shuffled K-fold.
    """
    idx = np.arange(len(examples))
    groups = np.array([e.group for e in examples])
    n_groups = len(set(groups))
    if by == "group" and n_groups >= 2:
        k = min(n_splits, n_groups)
        splits = list(GroupKFold(k).split(idx, groups=groups))
        method = f"GroupKFold({k}) over writer×style groups ({n_groups} groups)"
    else:
        k = min(n_splits, len(examples))
        splits = list(KFold(k, shuffle=True, random_state=seed).split(idx))
        method = f"KFold({k}, shuffled)"
    preds: list[Prediction | None] = [None] * len(examples)
    folds = []
    # texts are prepared (segmented) once for all folds: preparation is stateless
    docs = Prepare().transform([e.text for e in examples]) if fit is fit_examples else None
    for tr, te in splits:
        if docs is not None:
            model = fit_examples([examples[i] for i in tr], docs=[docs[i] for i in tr])
            test_in = [docs[i] for i in te]
        else:
            model = fit([examples[i] for i in tr])
            test_in = [examples[i].text for i in te]
        for i, p in zip(te, model.predict(test_in), strict=True):
            preds[i] = p
        folds.append(sorted(set(groups[te])))
    return preds, {"method": method, "held_out_groups": folds}


def format_report(report: dict, names: dict[str, str] | None = None) -> str:
    """A plain-text rendering of :func:`score`'s dict (for the terminal)."""
    names = names or {}
    lines: list[str] = []
    t = report.get("topics")
    if t:
        lines.append(f"话题 topics (n={t['n']}): macro-F1 {t['macro_f1']}  micro-F1 {t['micro_f1']}  "
                     f"exact match {t['exact_match']}  relevance-F1 {t['relevance_f1']}")
        lines.append(f"  {'label':<22}{'名称':<12}{'P':>7}{'R':>7}{'F1':>7}{'support':>9}{'pred':>7}")
        for lab, m in t["per_label"].items():
            lines.append(f"  {lab:<22}{names.get(lab, ''):<12}{m['precision']:>7.3f}{m['recall']:>7.3f}"
                         f"{m['f1']:>7.3f}{m['support']:>9}{m['predicted']:>7}")
    s = report.get("sentiment")
    if s:
        lines.append(f"情感 sentiment (n={s['n']}): accuracy {s['accuracy']}  macro-F1 {s['macro_f1']}")
        for lab, m in s["per_class"].items():
            lines.append(f"  {lab:<10} P {m['precision']:.3f}  R {m['recall']:.3f}  F1 {m['f1']:.3f}  support {m['support']}")
        labs = s["confusion"]["labels"]
        lines.append("  confusion (rows gold, columns predicted): " + " ".join(f"{x[:3]:>6}" for x in labs))
        for lab, row in zip(labs, s["confusion"]["matrix"], strict=True):
            lines.append(f"    {lab:<9}" + "".join(f"{v:>7}" for v in row))
    return "\n".join(lines)
