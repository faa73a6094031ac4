"""Browser tests: headless Chromium (Debian's package, driven by Playwright) against the console
served by uvicorn on 127.0.0.1. Screenshots of the main pages go to test-output/screenshots/."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from .conftest import COMMUNITY, SIBLING, make_briefing, shot, sign_in

pytestmark = pytest.mark.browser


def test_officer_signs_in_sees_only_own_community_and_acknowledges(console_world, console_server, page):
    from yuqing.alerts import api

    base = console_server.url
    mine, sibling = console_world.incidents[COMMUNITY], console_world.incidents[SIBLING]
    # the link in the alert message leads through sign-in back to the incident
    page.goto(f"{base}/incidents/{mine}")
    assert "/login" in page.url
    shot(page, "01-login")
    page.fill("input[name=username]", "fangcaodi")
    page.fill("input[name=password]", "wrong-password-1")
    page.click("button[type=submit]")
    assert page.locator(".alert.error").inner_text().startswith("用户名或密码错误")
    sign_in(page, base, "fangcaodi", path=f"/incidents/{mine}")
    page.wait_for_url(re.compile(rf"/incidents/{mine}$"))
    assert page.locator("[data-status]").get_attribute("data-status") == "open"
    shot(page, "03-incident-open")

    # the queue lists my community's incident and not the sibling's
    page.goto(f"{base}/incidents")
    ids = page.locator("[data-id]").evaluate_all("els => els.map(e => e.dataset.id)")
    assert ids == [str(mine)]
    assert "吉祥里" not in page.content()
    shot(page, "02-queue")

    # a sibling's incident by URL is "not found", exactly like a missing one
    resp = page.goto(f"{base}/incidents/{sibling}")
    assert resp.status == 404
    assert "吉祥里" not in page.content()

    # acknowledge from the detail page
    page.goto(f"{base}/incidents/{mine}")
    page.fill("form[action$='/acknowledge'] textarea[name=note]", "已电话联系社区工会主席")
    page.click("form[action$='/acknowledge'] button[type=submit]")
    page.wait_for_url(re.compile(r"done=acknowledge"))
    assert page.locator("[data-status]").get_attribute("data-status") == "acknowledged"
    assert "已电话联系社区工会主席" in page.locator(".timeline").inner_text()
    shot(page, "04-incident-acknowledged")

    # escalation stops: hours later the acknowledged incident has not climbed, the sibling's has
    inc_before = api.get_incident(console_world.ctx, mine).to_dict()
    sib_before = api.get_incident(console_world.ctx, sibling).to_dict()
    api.escalate(console_world.ctx, console_world.now + timedelta(hours=12))
    inc_after = api.get_incident(console_world.ctx, mine).to_dict()
    sib_after = api.get_incident(console_world.ctx, sibling).to_dict()
    assert inc_after["escalated_to"] == inc_before["escalated_to"]
    assert [e for e in inc_after["timeline"] if e["kind"] == "escalated"] == \
        [e for e in inc_before["timeline"] if e["kind"] == "escalated"]
    assert sib_after["escalated_to"] != sib_before["escalated_to"]
    page.reload()
    assert "已停止" in page.locator("[data-escalation]").inner_text()


def test_search_dashboard_and_briefing_download(console_world, console_server, page):
    base = console_server.url
    sign_in(page, base, "fangcaodi")
    page.wait_for_url(re.compile(r"/incidents"))
    page.goto(f"{base}/search")
    page.fill("input[name=q]", "拖欠工资")
    page.click(".searchbar button[type=submit]")
    page.wait_for_url(re.compile(r"q="))
    total = int(page.locator("[data-total]").inner_text())
    assert total == len(console_world.posts[COMMUNITY])  # only my community's posts match
    assert "吉祥里" not in page.locator(".posts").inner_text()
    assert page.locator(".posts mark").first.inner_text() in ("拖欠", "工资", "拖欠工资")
    shot(page, "05-search")
    with page.expect_download() as info:
        page.click("a[href^='/search/export.csv']")
    import csv

    rows = list(csv.reader(open(info.value.path(), encoding="utf-8-sig")))
    assert rows[0][0] == "发布时间" and len(rows) == total + 1
    assert all(r[8] == "芳草地社区" for r in rows[1:])

    page.goto(f"{base}/dashboard")
    assert int(page.locator("[data-kpi=posts]").inner_text()) == 30
    shot(page, "06-dashboard")

    path = make_briefing(console_world.ctx, COMMUNITY)
    sibling_path = make_briefing(console_world.ctx, SIBLING)
    page.goto(f"{base}/briefings")
    shot(page, "07-briefings")
    assert page.locator(f"a[href$='/{sibling_path.name}']").count() == 0
    with page.expect_download() as info:
        page.locator(f"a[href$='/{path.name}']").first.click()
    download = info.value
    assert download.suggested_filename == path.name
    assert open(download.path(), "rb").read() == path.read_bytes()


def test_phone_layout(console_world, console_server, phone):
    base = console_server.url
    phone.goto(f"{base}/login")
    shot(phone, "10-phone-login")
    sign_in(phone, base, "chaowai")
    phone.wait_for_url(re.compile(r"/incidents"))
    # the subdistrict officer sees both communities' incidents
    assert phone.locator("[data-id]").count() == 2
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page scrolls sideways on a phone ({width}px)"
    shot(phone, "11-phone-queue")
    # one click on the queue acknowledges, and the queue says so
    phone.click(f"[data-id='{console_world.incidents[COMMUNITY]}'] .quick-ack button")
    phone.wait_for_url(re.compile(r"done=acknowledge"))
    card = phone.locator(f"[data-id='{console_world.incidents[COMMUNITY]}']")
    assert "已确认" in card.inner_text() and card.locator(".quick-ack").count() == 0
    assert "升级通知已停止" in phone.locator(".alert.ok").inner_text()
    shot(phone, "11b-phone-queue-acknowledged")
    phone.goto(f"{base}/incidents/{console_world.incidents[COMMUNITY]}")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shot(phone, "12-phone-incident")
    phone.goto(f"{base}/dashboard")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shot(phone, "13-phone-dashboard")
    phone.goto(f"{base}/search?q=欠薪")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert int(phone.locator("[data-total]").inner_text()) > 0
    shot(phone, "14-phone-search")


def test_queue_refreshes_itself_when_an_incident_opens(console_world, page):
    from datetime import datetime, timezone

    from yuqing.alerts.state import Finding, StateStore

    from .conftest import LiveServer

    console_world.ctx.settings.console.refresh_seconds = 2
    with LiveServer(console_world.ctx) as server:
        sign_in(page, server.url, "chaowai")
        page.wait_for_url(re.compile(r"/incidents"))
        assert page.locator("[data-id]").count() == 2
        result = StateStore(console_world.ctx).apply([Finding(
            unit_id="sq-fangcaodi", topic="social_security", kind="high_risk", severity="critical", score=9.0,
            volume=5.0, title="芳草地社区有职工反映社保断缴，欲集体上访", topic_name="社会保险")],
            datetime.now(timezone.utc))
        new_id = result.opened[0]
        fresh = page.locator(f"[data-id='{new_id}']")
        fresh.wait_for(timeout=10000)
        # most severe first, marked as new, and the tab title counts the open incidents
        assert page.locator("[data-id]").first.get_attribute("data-id") == str(new_id)
        assert "fresh" in fresh.get_attribute("class")
        assert page.title().startswith("(3)")
        assert page.locator(".tabs [data-tab=open] .count").inner_text() == "3"
        assert "已更新" in page.locator("[data-live-status]").inner_text()
        shot(page, "08-queue-live-refresh")


def test_admin_audit_log_and_sign_out(console_world, console_server, page):
    base = console_server.url
    sign_in(page, base, "fangcaodi", password="not-the-password-1")
    sign_in(page, base, "admin")
    page.wait_for_url(re.compile(r"/incidents"))
    assert page.locator("[data-id]").count() == 2  # the district sees every community
    page.click("nav.mainnav a[href='/audit']")
    rows = page.locator("table.audit tbody tr")
    text = rows.all_inner_texts()
    assert any("fangcaodi" in r and "拒绝" in r for r in text)
    assert any("admin" in r and "登录" in r and "成功" in r for r in text)
    shot(page, "09-audit")
    page.click("header form[action='/logout'] button")
    page.wait_for_url(re.compile(r"/login"))
    page.goto(f"{base}/audit")
    assert "/login" in page.url  # the session is gone


def test_duty_officer_has_no_audit_page(console_world, console_server, page):
    sign_in(page, console_server.url, "fangcaodi")
    page.wait_for_url(re.compile(r"/incidents"))
    assert page.locator("nav.mainnav a[href='/audit']").count() == 0
    assert page.goto(f"{console_server.url}/audit").status == 403
