"""Fixtures for the store tests: a realistic generated dataset (seeded)."""

from __future__ import annotations

from pathlib import Path

import pytest
from store_helpers import write_jsonl

from yuqing.pipeline.synthetic import generate_posts


@pytest.fixture(scope="session")
def dataset_path(tmp_path_factory) -> Path:
    """~400 posts over three weeks across a month boundary (seeded, so every run sees the same)."""
    return write_jsonl(tmp_path_factory.mktemp("data") / "posts.jsonl", generate_posts(400, seed=11))
