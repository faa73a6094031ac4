"""Ingest stages after validation: each takes a batch of posts and enriches them in place.

The order is the data flow: normalise → de-duplicate → classify → link. Store comes last and is
not a stage (see :mod:`yuqing.pipeline.ingest`). A stage is any object with a ``name`` and
``process(posts)``; :func:`default_stages` builds the configured list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from yuqing.alerts.immediate import ImmediateCheck
from yuqing.alerts.linking import LinkStage
from yuqing.classifiers.stage import ClassifyStage
from yuqing.pipeline.core.record import Post
from yuqing.pipeline.dedupe import DedupeStage
from yuqing.pipeline.normalise import NormaliseStage

if TYPE_CHECKING:
    from yuqing.pipeline.core.context import Context


class Stage(Protocol):
    name: str

    def process(self, posts: list[Post]) -> None:
        """Enrich ``posts`` in place. Raise only for a fault of the stage itself, not of a post.

        A stage that refuses individual posts also offers ``take_rejects() -> [(post, reason)]``;
        ingest drops those from the batch and writes them to the rejects file.
        """


def default_stages(ctx: Context) -> list[Stage]:

    stages: list[Stage] = [NormaliseStage(ctx.settings.ingest.max_content_chars), DedupeStage(ctx)]
    if ctx.settings.ingest.classify:
        stages.extend(classify_stages(ctx))
    if ctx.settings.ingest.link:
        stages.extend(link_stages(ctx))
    return stages


def classify_stages(ctx: Context) -> list[Stage]:
    """Topic and sentiment classification (issue: classifiers)."""

    return [ClassifyStage(ctx)]


def link_stages(ctx: Context) -> list[Stage]:
    """Linking to the union hierarchy (issue: alerts)."""

    return [LinkStage(ctx)]


def default_checks(ctx: Context) -> list[ImmediateCheck]:
    """What looks at each batch once it passed the stages (while the store writes it): the
    ingest-time alerts for high-risk posts and urgent reports (issue: grassroots reporting)."""

    return [ImmediateCheck(ctx)]
