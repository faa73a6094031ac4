"""Shared test fixtures.

* ``ctx`` — a :class:`Context` over a temporary data dir and a temporary copy of ``config/``.
* ``es_url`` — the real Elasticsearch node (``scripts/elasticsearch.sh start``; ``make test`` starts
  it). Absent node: tests fail in CI (``CI`` set) and skip with the reason on a developer machine.
* ``es_ctx`` — a context on Elasticsearch with an index prefix unique to the test.
* ``shared_dir`` — ``../shared/fixtures/real``; skips with the reason where it is absent.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import httpx
import pytest

from yuqing.pipeline.core.context import Context

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "fixtures" / "real"


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    dst = tmp_path / "config"
    shutil.copytree(ROOT / "config", dst)
    return dst


@pytest.fixture
def ctx(tmp_path: Path, config_dir: Path) -> Context:
    context = Context.load(config_dir, tmp_path / "var", environ={})
    yield context
    context.close()


@pytest.fixture(scope="session")
def es_url() -> str:
    url = os.environ.get("YUQING_TEST_ES_URL", "http://127.0.0.1:9200")
    try:
        httpx.get(f"{url}/_cluster/health", timeout=5).raise_for_status()
    except httpx.HTTPError as exc:
        reason = f"Elasticsearch not answering at {url} ({exc}); start it with scripts/elasticsearch.sh start"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return url


@pytest.fixture
def es_prefix(es_url: str) -> str:
    prefix = f"yqtest-{uuid.uuid4().hex[:10]}"
    yield prefix
    httpx.delete(f"{es_url}/{prefix}-*", params={"expand_wildcards": "all"}, timeout=30)
    httpx.delete(f"{es_url}/_index_template/{prefix}-*", timeout=30)


@pytest.fixture
def es_ctx(tmp_path: Path, config_dir: Path, es_url: str, es_prefix: str) -> Context:
    context = Context.load(config_dir, tmp_path / "var-es",
                           environ={"YUQING_ES_URL": es_url, "YUQING_ES_INDEX_PREFIX": es_prefix})
    yield context
    context.close()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"real fixtures not found at {SHARED} (they live beside the project in CI)")
    return SHARED
