"""The console on the real Elasticsearch store: the same subtree limits and figures as on SQLite."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from .conftest import COMMUNITY, SIBLING, LiveServer, login_client, populate

pytestmark = pytest.mark.es


def test_console_on_elasticsearch(es_ctx):
    world = populate(es_ctx, datetime.now(timezone.utc))
    with LiveServer(es_ctx) as server:
        client, _ = login_client(server.url, "fangcaodi")
        found = client.get("/api/posts", params={"q": "拖欠工资", "limit": 100}).json()
        assert found["total"] == len(world.posts[COMMUNITY])
        assert all(COMMUNITY in p["org_path"] for p in found["posts"])
        rows = client.get("/api/stats", params={"by": "unit", "since": "30d"}).json()
        assert {r["unit"]: r["posts"] for r in rows} == {COMMUNITY: 30}
        assert client.get("/api/posts", params={"unit": SIBLING}).status_code == 403
        page = client.get("/dashboard")
        assert page.status_code == 200 and 'data-kpi="posts">30<' in page.text
        detail = client.get(f"/incidents/{world.incidents[COMMUNITY]}")
        assert detail.status_code == 200 and "芳草地附近工地拖欠工资" in detail.text
