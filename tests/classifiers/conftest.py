"""Fixtures for the classifier tests: a small model trained once per session.

``small_examples`` is a stratified slice of the shipped corpus (a few hundred posts from every
writer×style group), ``small_model`` is trained on it once per session (about a second), and
``model_ctx`` is a context whose model dir already holds that model, so stage and CLI tests never
train the full model.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from yuqing.classifiers.corpus import Example, read_labelled
from yuqing.classifiers.evaluate import fit_examples
from yuqing.classifiers.store import model_dir, save_model
from yuqing.pipeline.core.context import Context

SMALL_PER_GROUP = 90


@pytest.fixture(scope="session")
def corpus_examples() -> list[Example]:
    examples, _ = read_labelled()
    return examples


@pytest.fixture(scope="session")
def small_examples(corpus_examples) -> list[Example]:
    by: dict[str, list[Example]] = {}
    for e in corpus_examples:
        by.setdefault(e.group, []).append(e)
    out: list[Example] = []
    for group in sorted(by):
        out.extend(by[group][:SMALL_PER_GROUP])
    return out


@pytest.fixture(scope="session")
def small_model(small_examples):
    model = fit_examples(small_examples)
    model.card = {"data_version": "test-small", "n_train": len(small_examples), "trained_at": "test"}
    return model


@pytest.fixture(scope="session")
def small_data_file(tmp_path_factory, small_examples) -> Path:
    path = tmp_path_factory.mktemp("small") / "small.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        for e in small_examples:
            fh.write(json.dumps({"style": e.style, "writer": e.writer, "title": "", "content": e.text,
                                "topics": e.topics, "sentiment": e.sentiment}, ensure_ascii=False) + "\n")
    return path


@pytest.fixture
def model_ctx(ctx: Context, small_model) -> Context:
    save_model(small_model, model_dir(ctx))
    return ctx


@pytest.fixture
def cli():
    """Run ``yuqing`` in-process against a context's config and data dirs."""
    from click.testing import CliRunner

    from yuqing.pipeline.cli.main import main

    def invoke(ctx: Context, *args, input=None):
        return CliRunner().invoke(main, ["--config-dir", str(ctx.config_dir), "--data-dir", str(ctx.data_dir),
                                         *args], input=input, catch_exceptions=False)

    return invoke
