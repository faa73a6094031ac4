"""The ingest stage that classifies posts: sets ``post.topics`` and ``post.sentiment``.

Plugged in by :func:`yuqing.pipeline.ingest.stages.classify_stages`. The model is loaded (or trained on first
use, see :func:`yuqing.classifiers.store.get_model`) when the first batch arrives, so commands that never
ingest do not pay for it. A post is classified on its title and content together; a post with no
readable words gets no topics and a neutral sentiment (see :class:`yuqing.classifiers.model.Prediction`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from yuqing.classifiers.store import get_model
from yuqing.pipeline.core.record import Post, Sentiment

if TYPE_CHECKING:
    from yuqing.classifiers.model import Model
    from yuqing.pipeline.core.context import Context


class ClassifyStage:
    name = "classify"

    def __init__(self, ctx: Context, model: Model | None = None):
        self.ctx = ctx
        self._model = model
        self.max_topics = ctx.settings.classifier.max_topics

    @property
    def model(self) -> Model:
        if self._model is None:

            self._model = get_model(self.ctx)
        return self._model

    def process(self, posts: list[Post]) -> None:
        if not posts:
            return
        preds = self.model.predict([p.text for p in posts])
        for post, pred in zip(posts, preds, strict=True):
            post.topics = pred.topics[: self.max_topics]
            post.sentiment = Sentiment(label=pred.sentiment, scores=pred.scores)
