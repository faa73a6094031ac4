"""Fixtures for the store tests: a realistic generated dataset (seeded), each backend loaded with
it once a session (read-only for the tests), and a fresh empty store of either backend.

Elasticsearch variants carry the ``es`` mark, so ``pytest -m "not es"`` runs every SQLite test
without a node.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest
from store_helpers import Loaded, load, write_jsonl

from yuqing.pipeline.synthetic import generate_posts

BACKENDS = ["sqlite", pytest.param("es", marks=pytest.mark.es)]


@pytest.fixture(scope="session")
def dataset_path(tmp_path_factory) -> Path:
    """~400 posts over three weeks across a month boundary (seeded, so every run sees the same)."""
    return write_jsonl(tmp_path_factory.mktemp("data") / "posts.jsonl", generate_posts(400, seed=11))


@pytest.fixture(scope="session")
def loaded_sqlite(tmp_path_factory, dataset_path) -> Loaded:
    """The SQLite store with the dataset ingested."""
    loaded = load(tmp_path_factory.mktemp("loaded-sqlite"), dataset_path, environ={})
    yield loaded
    loaded.ctx.close()


@pytest.fixture(scope="session")
def loaded_es(tmp_path_factory, dataset_path, es_url) -> Loaded:
    """Elasticsearch indices (unique prefix, removed afterwards) with the dataset ingested."""
    prefix = f"yqtest-{uuid.uuid4().hex[:10]}"
    loaded = load(tmp_path_factory.mktemp("loaded-es"), dataset_path,
                  environ={"YUQING_ES_URL": es_url, "YUQING_ES_INDEX_PREFIX": prefix})
    yield loaded
    loaded.ctx.close()
    httpx.delete(f"{es_url}/{prefix}-*", params={"expand_wildcards": "all"}, timeout=30)
    httpx.delete(f"{es_url}/_index_template/{prefix}-*", timeout=30)


@pytest.fixture(params=BACKENDS)
def loaded(request) -> Loaded:
    """Each backend in turn, loaded with the dataset."""
    return request.getfixturevalue(f"loaded_{request.param}")


@pytest.fixture(params=BACKENDS)
def backend_ctx(request):
    """A context on an empty store of each backend in turn."""
    return request.getfixturevalue("ctx" if request.param == "sqlite" else "es_ctx")
