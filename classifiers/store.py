"""Training, saving and loading the model in the data dir (``settings.classifier.model_dir``).

Layout of the model directory::

    topics.skops      the topic Pipeline (skops: no code runs on load)
    sentiment.skops   the sentiment Pipeline
    metrics.json      the model card: data version, training files, sizes, date, library versions,
                      cross-validated per-label precision/recall/F1 and the held-out method

Loading checks every type in the files against :data:`TRUSTED_TYPES` (skops trusts scikit-learn,
numpy and scipy itself); any other type refuses the load with the names of the types, so a
tampered file cannot make us import arbitrary code. :func:`get_model` loads the saved model or, if
there is none, trains one from the shipped corpus (``data/corpus``) — "trained on first use" — under
a file lock so two processes never train at once.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from classifiers.corpus import corpus_files, data_version, read_labelled
from classifiers.evaluate import cross_validate, fit_examples, score
from classifiers.model import Model
from classifiers.taxonomy import load_taxonomy

if TYPE_CHECKING:
    from pipeline.context import Context

log = logging.getLogger(__name__)

#: our own classes a saved pipeline may contain (everything else must be trusted by skops itself)
TRUSTED_TYPES = [
    "classifiers.features.Prepare",
    "classifiers.features.WordAnalyzer",
    "classifiers.features.CharAnalyzer",
    "classifiers.features.CueAnalyzer",
    "classifiers.model.ThresholdedOneVsRest",
]
HEADS = ("topics", "sentiment")
CARD = "metrics.json"


class ModelError(RuntimeError):
    """A saved model that cannot be loaded (missing, untrusted types, corrupt)."""


def model_dir(ctx: Context) -> Path:
    return ctx.path(ctx.settings.classifier.model_dir)


def save_model(model: Model, directory: Path) -> None:
    import skops.io as sio

    directory.mkdir(parents=True, exist_ok=True)
    for head in HEADS:
        tmp = directory / f".{head}.skops.tmp"
        sio.dump(getattr(model, head), tmp)
        tmp.replace(directory / f"{head}.skops")
    tmp = directory / f".{CARD}.tmp"
    tmp.write_text(json.dumps(model.card, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(directory / CARD)


def load_model(directory: Path) -> Model:
    import skops.io as sio

    heads = {}
    for head in HEADS:
        path = directory / f"{head}.skops"
        if not path.exists():
            raise ModelError(f"{path}: no saved model (run `yuqing train`)")
        try:
            untrusted = sio.get_untrusted_types(file=path)
        except Exception as exc:  # corrupt zip / schema
            raise ModelError(f"{path}: not a readable skops file ({exc})") from exc
        unexpected = sorted(set(untrusted) - set(TRUSTED_TYPES))
        if unexpected:
            raise ModelError(f"{path}: refusing to load, it contains types that are not trusted: "
                             f"{', '.join(unexpected)}")
        try:
            heads[head] = sio.load(path, trusted=untrusted)
        except Exception as exc:
            raise ModelError(f"{path}: cannot be loaded ({exc}); retrain with `yuqing train`") from exc
    card_path = directory / CARD
    card = json.loads(card_path.read_text(encoding="utf-8")) if card_path.exists() else {}
    return Model(topics=heads["topics"], sentiment=heads["sentiment"], card=card)


def _versions() -> dict:
    import numpy
    import rjieba  # noqa: F401
    import sklearn
    import skops

    return {"scikit-learn": sklearn.__version__, "numpy": numpy.__version__, "skops": skops.__version__}


def train(paths=None, *, cv: str = "group", taxonomy=None, log_fn=None) -> Model:
    """Train both heads on the labelled files (default: ``data/corpus``) and build the card.

    ``cv``: ``"group"`` (hold out writer×style groups), ``"random"`` (shuffled 5-fold) or ``"none"``.
    """
    say = log_fn or log.info
    taxonomy = taxonomy or load_taxonomy()
    files = corpus_files(paths)
    examples, _ = read_labelled(files, taxonomy)
    if len(examples) < 20:
        raise ValueError(f"only {len(examples)} labelled posts in {', '.join(map(str, files))}: need at least 20")
    card: dict = {
        "data_version": data_version(files),
        "training_files": [f.name for f in files],
        "n_train": len(examples),
        "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": _versions(),
        "topics": taxonomy.ids,
    }
    started = time.perf_counter()
    if cv != "none":
        say(f"cross-validating ({cv}) on {len(examples)} posts …")
        preds, folds = cross_validate(examples, by=cv)
        card["cv"] = {**folds, **score(examples, preds, taxonomy.ids)}
    say(f"training on {len(examples)} posts …")
    model = fit_examples(examples, labels=taxonomy.ids)
    card["train_seconds"] = round(time.perf_counter() - started, 1)
    card["params"] = {"topics": repr(model.topics[-1]), "sentiment": repr(model.sentiment[-1])}
    model.card = card
    return model


def get_model(ctx: Context, *, train_if_missing: bool = True) -> Model:
    """The saved model of ``ctx``; trained from the shipped corpus and saved if there is none."""
    from filelock import FileLock

    directory = model_dir(ctx)
    if (directory / "topics.skops").exists():
        return load_model(directory)
    if not train_if_missing:
        raise ModelError(f"{directory}: no saved model (run `yuqing train`)")
    directory.mkdir(parents=True, exist_ok=True)
    with FileLock(str(directory / ".train.lock")):
        if (directory / "topics.skops").exists():  # another process trained it meanwhile
            return load_model(directory)
        log.warning("no classifier model in %s: training one from the shipped corpus (first use)", directory)
        model = train(cv="none", taxonomy=load_taxonomy(ctx))
        model.card["note"] = "trained on first use without cross-validation; run `yuqing train` for metrics"
        save_model(model, directory)
        return model
