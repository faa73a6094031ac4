"""Access control of the JSON API and the pages, over real HTTP against the console on 127.0.0.1:
every incident endpoint refuses another subtree's incident, a missing or forged session, and a
missing or wrong CSRF token; the refusals change nothing and are audited."""

from __future__ import annotations

import httpx
import pytest

from yuqing.console import audit
from yuqing.console.sessions import SESSION_COOKIE

from .conftest import COMMUNITY, SIBLING, login_client, make_briefing

READS = ["/api/incidents/{id}"]
ACTIONS = ["acknowledge", "resolve", "reopen"]


def _status(world, unit):
    from yuqing.alerts import api

    return api.get_incident(world.ctx, world.incidents[unit]).status


def test_community_officer_cannot_see_or_act_on_sibling_incident(console_world, console_server):
    client, csrf = login_client(console_server.url, "fangcaodi")
    mine, sibling = console_world.incidents[COMMUNITY], console_world.incidents[SIBLING]
    listed = client.get("/api/incidents", params={"status": "all"}).json()
    assert [i["id"] for i in listed["incidents"]] == [mine]
    assert client.get(f"/api/incidents/{mine}").status_code == 200
    missing = client.get("/api/incidents/999999")
    foreign = client.get(f"/api/incidents/{sibling}")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()  # indistinguishable from a missing incident
    for action in ACTIONS:
        resp = client.post(f"/api/incidents/{sibling}/{action}", json={"note": "越权尝试"},
                           headers={"X-CSRF-Token": csrf})
        assert resp.status_code == 404, (action, resp.text)
    # pages too, by every URL
    assert client.get(f"/incidents/{sibling}").status_code == 404
    for action in ACTIONS:
        resp = client.post(f"/incidents/{sibling}/{action}", data={"note": "越权", "csrf_token": csrf})
        assert resp.status_code == 404
    # a unit filter naming the sibling is refused, not silently widened
    assert client.get("/api/incidents", params={"unit": SIBLING}).status_code == 403
    assert client.get("/api/posts", params={"unit": SIBLING}).status_code == 403
    assert client.get("/api/stats", params={"unit": SIBLING}).status_code == 403
    assert client.get("/search", params={"unit": SIBLING}).status_code == 403
    assert client.get("/dashboard", params={"unit": SIBLING}).status_code == 403
    assert _status(console_world, SIBLING) == "open"
    denied = audit.entries(console_world.ctx, username="fangcaodi", action="access.denied")
    assert len(denied) >= 1 + 2 * len(ACTIONS) + 1


def test_posts_and_stats_are_limited_to_the_subtree(console_world, console_server):
    client, _ = login_client(console_server.url, "fangcaodi")
    posts = client.get("/api/posts", params={"limit": 200}).json()
    assert posts["total"] == 30
    assert all(COMMUNITY in p["org_path"] for p in posts["posts"])
    rows = client.get("/api/stats", params={"by": "unit", "since": "30d"}).json()
    assert {r["unit"] for r in rows} == {COMMUNITY}
    upper, _ = login_client(console_server.url, "chaowai")
    rows = upper.get("/api/stats", params={"by": "unit", "since": "30d"}).json()
    assert {r["unit"] for r in rows} == {COMMUNITY, SIBLING}


@pytest.mark.parametrize("method,path", [
    ("GET", "/api/me"), ("GET", "/api/incidents"), ("GET", "/api/incidents/{mine}"),
    ("POST", "/api/incidents/{mine}/acknowledge"), ("POST", "/api/incidents/{mine}/resolve"),
    ("POST", "/api/incidents/{mine}/reopen"), ("GET", "/api/posts"), ("GET", "/api/stats"),
    ("GET", "/api/briefings"), ("GET", "/api/audit"), ("DELETE", "/api/session"),
])
def test_missing_or_forged_session_is_refused(console_world, console_server, method, path):
    url = console_server.url + path.format(mine=console_world.incidents[COMMUNITY])
    body = {"note": "x"} if method == "POST" else None
    assert httpx.request(method, url, json=body).status_code == 401
    forged = {SESSION_COOKIE: "forged-token-" + "A" * 30}
    assert httpx.request(method, url, json=body, cookies=forged).status_code == 401
    assert _status(console_world, COMMUNITY) == "open"


def test_pages_redirect_to_sign_in_and_back(console_world, console_server):
    mine = console_world.incidents[COMMUNITY]
    for path in ["/incidents", f"/incidents/{mine}", "/search?q=x", "/dashboard", "/briefings", "/audit"]:
        resp = httpx.get(console_server.url + path, cookies={SESSION_COOKIE: "forged"})
        assert resp.status_code == 303
        assert resp.headers["location"].startswith("/login?next=")
    # the queue's background refresh gets a 401 (and reloads into the sign-in page), not the login HTML
    resp = httpx.get(console_server.url + "/incidents/rows", headers={"X-Requested-With": "fetch"})
    assert resp.status_code == 401
    resp = httpx.post(f"{console_server.url}/incidents/{mine}/acknowledge", data={"note": "x"})
    assert resp.status_code == 303 and resp.headers["location"].startswith("/login")
    assert _status(console_world, COMMUNITY) == "open"


@pytest.mark.parametrize("action", ACTIONS)
def test_missing_or_wrong_csrf_token_is_refused(console_world, console_server, action):
    client, csrf = login_client(console_server.url, "fangcaodi")
    mine = console_world.incidents[COMMUNITY]
    for headers in ({}, {"X-CSRF-Token": "wrong"}):
        resp = client.post(f"/api/incidents/{mine}/{action}", json={"note": "处置说明"}, headers=headers)
        assert resp.status_code == 403, resp.text
    for data in ({"note": "处置说明"}, {"note": "处置说明", "csrf_token": "wrong"}):
        assert client.post(f"/incidents/{mine}/{action}", data=data).status_code == 403
    # another session's token is no good either
    _, other_csrf = login_client(console_server.url, "fangcaodi")
    resp = client.post(f"/api/incidents/{mine}/{action}", json={"note": "x"}, headers={"X-CSRF-Token": other_csrf})
    assert resp.status_code == 403
    assert _status(console_world, COMMUNITY) == "open"
    assert audit.entries(console_world.ctx, username="fangcaodi", action="csrf.rejected")
    assert client.delete("/api/session").status_code == 403  # signing out needs the token too


def test_acknowledge_resolve_reopen_through_the_api(console_world, console_server):
    client, csrf = login_client(console_server.url, "fangcaodi")
    mine = console_world.incidents[COMMUNITY]
    h = {"X-CSRF-Token": csrf}
    acked = client.post(f"/api/incidents/{mine}/acknowledge", json={"note": "已联系"}, headers=h).json()
    assert acked["status"] == "acknowledged" and "史勇" in acked["acknowledged_by"]
    again = client.post(f"/api/incidents/{mine}/acknowledge", json={}, headers=h)
    assert again.status_code == 409
    assert client.post(f"/api/incidents/{mine}/resolve", json={"note": "  "}, headers=h).status_code == 409
    done = client.post(f"/api/incidents/{mine}/resolve", json={"note": "欠薪已协调解决"}, headers=h).json()
    assert done["status"] == "resolved" and done["resolution_note"] == "欠薪已协调解决"
    back = client.post(f"/api/incidents/{mine}/reopen", json={"note": "工友反映仍未到账"}, headers=h).json()
    assert back["status"] == "open"
    kinds = [e.action for e in audit.entries(console_world.ctx, username="fangcaodi")]
    for action in ("incident.acknowledge", "incident.resolve", "incident.reopen", "login"):
        assert action in kinds


def test_analyst_reads_but_cannot_act(console_world, console_server):
    client, csrf = login_client(console_server.url, "analyst")
    mine = console_world.incidents[COMMUNITY]
    assert client.get(f"/api/incidents/{mine}").status_code == 200
    resp = client.post(f"/api/incidents/{mine}/acknowledge", json={}, headers={"X-CSRF-Token": csrf})
    assert resp.status_code == 403
    assert client.get("/api/audit").status_code == 403
    queue, detail = client.get("/incidents"), client.get(f"/incidents/{mine}")
    assert "quick-ack" not in queue.text and "/acknowledge" not in detail.text  # no buttons it may not use
    assert client.post(f"/incidents/{mine}/acknowledge", data={"csrf_token": csrf}).status_code == 403
    assert _status(console_world, COMMUNITY) == "open"


def test_admin_reads_audit_log_of_subtree(console_world, console_server):
    login_client(console_server.url, "fangcaodi")
    httpx.post(console_server.url + "/api/session", json={"username": "jixiangli", "password": "nope-nope-1"})
    admin, _ = login_client(console_server.url, "admin")
    rows = admin.get("/api/audit").json()
    logins = [(r["username"], r["ok"]) for r in rows if r["action"] == "login"]
    assert ("fangcaodi", True) in logins and ("jixiangli", False) in logins
    page = admin.get("/audit")
    assert page.status_code == 200 and "jixiangli" in page.text


def test_security_headers_and_cookie_flags(console_world, console_server):
    resp = httpx.post(console_server.url + "/api/session", json={"username": "fangcaodi", "password": "Duty-Pass-2026"})
    cookie = resp.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # plain http on 127.0.0.1; behind https the flag is set
    page = httpx.get(console_server.url + "/login")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    behind_tls = httpx.post(console_server.url + "/api/session", headers={"X-Forwarded-Proto": "https"},
                            json={"username": "fangcaodi", "password": "Duty-Pass-2026"})
    assert "secure" in behind_tls.headers["set-cookie"].lower()


def test_openapi_documents_the_api(console_world, console_server):
    schema = httpx.get(console_server.url + "/api/openapi.json").json()
    paths = schema["paths"]
    for path in ("/api/session", "/api/me", "/api/incidents", "/api/incidents/{incident_id}",
                 "/api/incidents/{incident_id}/acknowledge", "/api/incidents/{incident_id}/resolve",
                 "/api/incidents/{incident_id}/reopen", "/api/posts", "/api/stats", "/api/briefings", "/api/audit"):
        assert path in paths, path
    assert not any(p.startswith("/incidents") for p in paths)  # pages are not part of the API
    page = httpx.get(console_server.url + "/api/docs")
    assert page.status_code == 200 and "/api/incidents/{incident_id}/acknowledge" in page.text


def test_briefings_of_another_subtree_cannot_be_listed_or_downloaded(console_world, console_server):
    mine = make_briefing(console_world.ctx, COMMUNITY)
    theirs = make_briefing(console_world.ctx, SIBLING)
    client, _ = login_client(console_server.url, "fangcaodi")
    listed = client.get("/api/briefings").json()
    assert [e["unit_id"] for e in listed] == [COMMUNITY]
    url = next(f["url"] for f in listed[0]["files"] if f["name"] == mine.name)
    got = client.get(url)
    assert got.status_code == 200 and got.content == mine.read_bytes()
    their_url = url.replace(mine.parent.name, theirs.parent.name).replace(mine.name, theirs.name)
    assert client.get(their_url).status_code == 403
    assert client.get(their_url.replace("/api/briefings/", "/briefings/files/")).status_code == 403
    for probe in ("../../state.db", "..%2F..%2Fstate.db", f"{mine.parent.name}/..%2Fmeta.json"):
        assert client.get(f"/api/briefings/{probe}").status_code in (403, 404)
    upper, _ = login_client(console_server.url, "chaowai")
    assert {e["unit_id"] for e in upper.get("/api/briefings").json()} == {COMMUNITY, SIBLING}


def test_sign_in_needs_a_json_body_and_never_echoes_the_password(console_world, console_server):
    """A cross-site form can post text/plain but not application/json: such a sign-in is refused."""
    body = '{"username": "fangcaodi", "password": "Duty-Pass-2026"}'
    resp = httpx.post(console_server.url + "/api/session", content=body, headers={"content-type": "text/plain"})
    assert resp.status_code == 422 and "set-cookie" not in resp.headers
    assert "Duty-Pass-2026" not in resp.text
    resp = httpx.post(console_server.url + "/api/session", json={"username": "fangcaodi", "password": 123})
    assert resp.status_code == 422 and "123" not in resp.text


def test_lockout_tells_the_admins_and_is_audited(console_world, console_server):
    from sqlalchemy import select

    from yuqing.alerts.models import OutboxMessage
    from yuqing.pipeline.core.statedb import engine_for, session_factory

    limit = console_world.ctx.settings.console.max_failed_logins
    codes = [httpx.post(console_server.url + "/api/session", json={"username": "fangcaodi", "password": f"guess-{i}"}
                        ).status_code for i in range(limit + 1)]
    assert codes == [401] * (limit + 1)
    locked = httpx.post(console_server.url + "/api/session", json={"username": "fangcaodi", "password": "Duty-Pass-2026"})
    assert locked.status_code == 401 and "锁定" in locked.json()["detail"]
    with session_factory(engine_for(console_world.ctx))() as s:
        subjects = [m.subject for m in s.scalars(select(OutboxMessage))]
    assert sum("fangcaodi" in x and "锁定" in x for x in subjects) >= 1
    reasons = [e.detail for e in audit.entries(console_world.ctx, username="fangcaodi", action="login")]
    assert reasons.count("locked") >= 2 and reasons.count("bad_password") == limit - 1
