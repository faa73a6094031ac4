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
a file lock so two processes never train at once. A first-use model that is stale (older corpus,
taxonomy or model code) or damaged is rebuilt the same way; a model trained with ``yuqing train``
is never replaced behind the user's back (stale: a warning; damaged: :class:`ModelError`).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from yuqing.classifiers.corpus import corpus_files, data_version, read_labelled
from yuqing.classifiers.evaluate import cross_validate, fit_examples, score
from yuqing.classifiers.model import Model
from yuqing.pipeline.core.taxonomy import load_taxonomy

if TYPE_CHECKING:
    from yuqing.pipeline.core.context import Context

log = logging.getLogger(__name__)

#: our own classes a saved pipeline may contain (everything else must be trusted by skops itself)
TRUSTED_TYPES = [
    "yuqing.classifiers.features.Prepare",
    "yuqing.classifiers.features.WordAnalyzer",
    "yuqing.classifiers.features.CharAnalyzer",
    "yuqing.classifiers.features.CueAnalyzer",
    "yuqing.classifiers.features.KeywordAnalyzer",
    "yuqing.classifiers.model.ThresholdedOneVsRest",
    "yuqing.classifiers.model.CompactTfidfVectorizer",
]
HEADS = ("topics", "sentiment")
CARD = "metrics.json"
#: cross-validation when training on first use: the model card then has honest per-label metrics
FIRST_USE_CV = "group"
FIRST_USE = "first use"
CACHE_KEEP = 3  # cached first-use models kept (one per data version)


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
    return Model(topics=heads["topics"], sentiment=heads["sentiment"], card=_read_card(directory))


def _read_card(directory: Path) -> dict:
    path = directory / CARD
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (ValueError, OSError) as exc:
        log.warning("%s: unreadable model card (%s)", path, exc)
        return {}


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
        "data_version": data_version(files, taxonomy),
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


def cache_dir() -> Path:
    """Per-user cache of models trained on first use, keyed by data version (``YUQING_MODEL_CACHE``
    or ``<tmp>/yuqing-models-<uid>``). Only a directory owned by this user and closed to others is
    used; its files pass the same trusted-type check as any other."""
    base = os.environ.get("YUQING_MODEL_CACHE") or str(Path(tempfile.gettempdir()) / f"yuqing-models-{os.getuid()}")
    path = Path(base)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = path.stat()
    if st.st_uid != os.getuid() or st.st_mode & 0o077:
        raise ModelError(f"{path}: model cache must be owned by this user and not writable by others")
    return path


def _copy_model(src: Path, dst: Path) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for name in (*(f"{h}.skops" for h in HEADS), CARD):
        tmp = dst / f".{name}.tmp"
        shutil.copyfile(src / name, tmp)
        tmp.replace(dst / name)


def get_model(ctx: Context, *, train_if_missing: bool = True) -> Model:
    """The saved model of ``ctx``; trained from the shipped corpus and saved if there is none.

    A model trained on first use is also kept in :func:`cache_dir` under its data version, so
    another data dir (a test, a demo run) with the same corpus copies it instead of retraining.
    """
    directory = model_dir(ctx)
    version = data_version(corpus_files(), load_taxonomy(ctx))
    if (directory / "topics.skops").exists():
        model = _saved_model(directory, version, train_if_missing)
        if model is not None:
            return model
    if not train_if_missing:
        raise ModelError(f"{directory}: no saved model (run `yuqing train`)")
    return _first_use_model(ctx, directory, version)


def _drop_model(directory: Path) -> None:
    for head in HEADS:
        (directory / f"{head}.skops").unlink(missing_ok=True)


def _saved_model(directory: Path, version: str, train_if_missing: bool) -> Model | None:
    """The model saved in ``directory``; None after removing it when it is our own first-use model
    and damaged or from an older data version (to be rebuilt the same way). A model trained with
    ``yuqing train`` is never replaced: damaged it raises, outdated it is kept with a warning."""
    try:
        model = load_model(directory)
    except ModelError as exc:
        if _read_card(directory).get("trained_by") != FIRST_USE or not train_if_missing:
            raise
        log.warning("%s; retraining the first-use model", exc)  # e.g. a disk error
        _drop_model(directory)
        return None
    if model.card.get("data_version") == version or not train_if_missing:
        return model
    if model.card.get("trained_by") != FIRST_USE:
        log.warning("classifier model in %s was trained on data version %s, the shipped corpus is now %s: "
                    "run `yuqing train` to update it", directory, model.card.get("data_version"), version)
        return model
    log.warning("classifier model in %s is from data version %s, the shipped corpus is now %s: retraining",
                directory, model.card.get("data_version"), version)
    _drop_model(directory)
    return None


def _first_use_model(ctx: Context, directory: Path, version: str) -> Model:
    """Copy the model of ``version`` from the cache, or train it from the shipped corpus (and
    cache it); one process at a time does either, the others then load its result."""
    from filelock import FileLock

    directory.mkdir(parents=True, exist_ok=True)
    try:
        cached = cache_dir() / version
    except (OSError, ModelError) as exc:
        log.warning("model cache unusable: %s", exc)
        cached = None
    lock_path = (cached.parent / f"{version}.lock") if cached else (directory / ".train.lock")
    with FileLock(str(lock_path)):
        if (directory / "topics.skops").exists():  # another process trained it meanwhile
            return load_model(directory)
        if cached and (cached / "topics.skops").exists():
            _copy_model(cached, directory)
            log.info("classifier model %s copied from the cache %s", version, cached)
            return load_model(directory)
        log.warning("no classifier model in %s: training one from the shipped corpus (first use)", directory)
        model = train(cv=FIRST_USE_CV, taxonomy=load_taxonomy(ctx))
        model.card["trained_by"] = FIRST_USE
        model.card["note"] = "trained on first use; `yuqing train` retrains and prints the metrics"
        save_model(model, directory)
        if cached:
            try:
                _copy_model(directory, cached)
                _prune_cache(cached.parent, keep=CACHE_KEEP)
            except OSError as exc:
                log.warning("could not cache the model in %s: %s", cached, exc)
        return model


def _prune_cache(root: Path, keep: int) -> None:
    """Remove all but the ``keep`` most recently written cached models."""
    models = sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in models[keep:]:
        shutil.rmtree(old, ignore_errors=True)
        (root / f"{old.name}.lock").unlink(missing_ok=True)
