"""Browser test of grassroots reporting (信息报送) on a phone-sized screen, headless Chromium against
the console on 127.0.0.1, notifications received by a real SMTP server: a community officer reports
with a photo; the subdistrict adopts at 街乡; the district adopts at 区 and opens an incident from
the report; the subdistrict drafts the union's response (口径), the district approves it, the
subdistrict records its publication. At each step the right rosters hear of it, and the sibling
community can read none of it — page, API or attachment. Screenshots: test-output/screenshots/."""

from __future__ import annotations

import io
import re
import socket

import pytest
from PIL import Image

from tests.alerts.conftest import Mailbox
from yuqing.alerts import api
from yuqing.alerts.outbox import deliver_due
from yuqing.console import audit
from yuqing.pipeline.core.org import load_org

from .conftest import LiveServer, login_client, shot, sign_in

pytestmark = pytest.mark.browser
PHONE = 390


@pytest.fixture
def smtp():
    from aiosmtpd.controller import Controller

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    box = Mailbox("127.0.0.1", port)
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box
    controller.stop()


class Heard:
    """The units whose duty rosters received mail since the last look (after the outbox ran)."""

    def __init__(self, ctx, smtp):
        self.ctx, self.smtp, self.seen = ctx, smtp, 0
        self.unit_of = {o.email: u.id for u in load_org(ctx).units.values() for o in u.roster if o.email}

    def __call__(self) -> dict[str, list[str]]:
        deliver_due(self.ctx)
        out: dict[str, list[str]] = {}
        for to, msg in self.smtp.messages[self.seen:]:
            out.setdefault(self.unit_of.get(to[0], to[0]), []).append(str(msg["Subject"]))
        self.seen = len(self.smtp.messages)
        return out


def _fits(pg) -> None:
    width = pg.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE, f"page scrolls sideways on a phone ({width}px)"


def _photo(tmp_path):
    path = tmp_path / "厂门口.jpg"
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(out, "JPEG")
    path.write_bytes(out.getvalue())
    return path


def _phone(browser):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": PHONE, "height": 844},
                                  device_scale_factor=2, is_mobile=True, has_touch=True)
    pg = context.new_page()
    pg.set_default_timeout(20000)
    return context, pg


def test_report_from_a_phone_to_district_adoption_incident_and_response(console_world, browser, smtp, tmp_path):
    ctx = console_world.ctx
    ctx.settings.notify.smtp.host, ctx.settings.notify.smtp.port = smtp.host, smtp.port
    heard = Heard(ctx, smtp)
    heard()  # the notices of the world's incidents, queued before this test
    with LiveServer(ctx) as server:
        base = server.url
        # 1. the community officer reports from a phone, with a photo
        cm, pg = _phone(browser)
        sign_in(pg, base, "fangcaodi", path="/reports")
        pg.wait_for_url(re.compile(r"/reports"))
        pg.click("[data-new-report]")
        pg.wait_for_url(re.compile(r"/reports/new"))
        _fits(pg)
        pg.fill("input[name=title]", "瑞丰制衣工人反映欠薪")
        pg.fill("textarea[name=text]", "芳草地社区瑞丰制衣厂四十多名工人反映三个月没发工资，工人赵小红（电话13912345678）说老板一直拖着。")
        assert pg.locator("select[name=unit]").input_value() == "sq-fangcaodi"  # defaults to my own unit
        pg.fill("input[name=place]", "厂区北门")
        pg.fill("input[name=employer]", "瑞丰制衣")
        pg.fill("input[name=workers]", "40")
        pg.fill("input[name=amount]", "320000")
        pg.select_option("select[name=channel]", "onsite")
        pg.check("input[name=personal]")
        pg.fill("input[name=names]", "赵小红")
        pg.set_input_files("input[name=files]", str(_photo(tmp_path)))
        shot(pg, "20-phone-report-form")
        pg.click(".report-form button[type=submit]")
        pg.wait_for_url(re.compile(r"/reports/\d+\?done=submit"))
        report_id = int(re.search(r"/reports/(\d+)", pg.url)[1])
        assert pg.locator("[data-status]").first.get_attribute("data-status") == "pending"
        assert "赵小红" in pg.locator("[data-report-text]").inner_text()   # the reporter reads it in full
        assert pg.locator(".attachments img").count() == 1
        attachment = pg.locator("[data-attachment]").first.get_attribute("href").split("?")[0]
        _fits(pg)
        shot(pg, "21-phone-report-submitted")
        assert set(heard()) == {"jd-chaowai"}  # the receiving level hears of the new report

        # 2. nobody outside the subtree reads it: page, API, attachment, search
        sibling, _ = login_client(base, "jixiangli")
        for path in (f"/reports/{report_id}", f"/api/reports/{report_id}", attachment, f"/api{attachment}"):
            resp = sibling.get(path)
            assert resp.status_code == 404 and "赵" not in resp.text, path
        found = sibling.get("/search", params={"q": "瑞丰制衣"}).text
        assert re.search(r"data-total[^>]*>\s*0\s*<", found) and "赵" not in found
        assert report_id not in [r["id"] for r in sibling.get("/api/reports").json()["reports"]]

        # 3. the subdistrict adopts it at 街乡 from its phone
        cs, ps = _phone(browser)
        sign_in(ps, base, "chaowai", path="/reports")
        ps.wait_for_url(re.compile(r"/reports"))
        ps.click(f"[data-report='{report_id}'] a")
        ps.wait_for_url(re.compile(rf"/reports/{report_id}$"))
        assert ps.locator(".attachments img").count() == 1
        photo = ps.request.get(base + attachment)
        assert photo.status == 200 and photo.headers["x-content-type-options"] == "nosniff"
        assert photo.headers["content-type"] == "image/jpeg" and "filename" in photo.headers["content-disposition"]
        shot(ps, "22-phone-review")
        ps.click("form[action$='/adopt'] button[type=submit]")
        ps.wait_for_url(re.compile(r"done=adopt"))
        assert ps.locator("[data-adopted=subdistrict]").count() == 1
        _fits(ps)
        assert set(heard()) == {"sq-fangcaodi"}  # the reporting unit hears it was adopted

        # 4. the district adopts it at 区 and opens an incident from it
        cd, pd = _phone(browser)
        sign_in(pd, base, "admin", path=f"/reports/{report_id}")
        pd.wait_for_url(re.compile(rf"/reports/{report_id}$"))
        assert pd.locator("select[name=level]").input_value() == "district"
        pd.click("form[action$='/adopt'] button[type=submit]")
        pd.wait_for_url(re.compile(r"done=adopt"))
        assert pd.locator("[data-adopted=district]").count() == 1
        pd.select_option("form[action$='/merge'] select[name=incident]", "new")
        pd.click("form[action$='/merge'] button[type=submit]")
        pd.wait_for_url(re.compile(r"done=merge"))
        incident_id = int(pd.locator("[data-incident]").get_attribute("data-incident"))
        shot(pd, "23-phone-adopted-merged")
        told = heard()
        assert "sq-fangcaodi" in told   # adopted at 区, merged; and the new incident's own notice
        inc = api.get_incident(ctx, incident_id)
        assert inc.unit_id == "sq-fangcaodi" and any(e.kind == "report_merged" for e in inc.events)

        # 5. the subdistrict drafts the union's voice on the incident; the district approves it
        ps.goto(f"{base}/incidents/{incident_id}")
        assert ps.locator(f"[data-merged-report='{report_id}']").count() == 1
        ps.fill(".draft-response textarea[name=text]", "街道工会已约谈企业，督促其本周内足额发放工资，依法维护职工权益。")
        ps.fill(".draft-response input[name=outlets]", "朝外街道工会微信公众号")
        ps.click(".draft-response button[type=submit]")
        ps.wait_for_url(re.compile(r"rdone=draft"))
        _fits(ps)
        assert set(heard()) == {"chaoyang"}  # the approving level
        pd.goto(f"{base}/incidents/{incident_id}")
        pd.click("form[action$='/approve'] button[type=submit]")
        pd.wait_for_url(re.compile(r"rdone=approve"))
        assert set(heard()) == {"jd-chaowai"}
        ps.goto(f"{base}/incidents/{incident_id}")
        ps.fill("form[action$='/publish'] input[name=url]", "https://mp.example.org/s/chaowai-1")
        ps.click("form[action$='/publish'] button[type=submit]")
        ps.wait_for_url(re.compile(r"rdone=publish"))
        assert "https://mp.example.org/s/chaowai-1" in ps.locator("[data-published]").inner_text()
        _fits(ps)
        shot(ps, "24-phone-response-published")
        assert set(heard()) == {"jd-chaowai", "chaoyang"}

        # 6. every step is on the timelines and in the audit log; the sibling sees no incident
        kinds = [e.kind for e in api.get_incident(ctx, incident_id).events]
        for kind in ("opened", "report_merged", "response_drafted", "response_approved", "response_published"):
            assert kind in kinds
        pg.goto(f"{base}/reports/{report_id}")
        timeline = pg.locator("[data-timeline]").inner_text()
        for step in ("报送", "采用", "并入事件"):
            assert step in timeline
        assert sibling.get(f"/incidents/{incident_id}").status_code == 404
        actions = {(e.username, e.action) for e in audit.entries(ctx)}
        for entry in [("fangcaodi", "report.submit"), ("chaowai", "report.adopt"), ("admin", "report.adopt"),
                      ("admin", "report.merge"), ("chaowai", "response.draft"), ("admin", "response.approve"),
                      ("chaowai", "response.publish"), ("jixiangli", "access.denied")]:
            assert entry in actions, entry
        for c in (cm, cs, cd):
            c.close()
