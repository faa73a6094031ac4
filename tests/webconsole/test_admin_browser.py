"""Administration in the browser (headless Chromium against the live console): a 街乡 admin manages
units, rosters, imports, suggestions and accounts of their subtree — and is refused, audited,
everywhere outside it."""

from __future__ import annotations

import re

import pytest

from yuqing.console import audit
from yuqing.console.accounts import add_user, get_user
from yuqing.pipeline.core import orgregistry
from yuqing.pipeline.core.org import load_org

from .conftest import PASSWORD, SUBDISTRICT, login_client, shot, sign_in

pytestmark = pytest.mark.browser
ADMIN = "chaowai-admin"


@pytest.fixture
def sub_admin(console_world):
    add_user(console_world.ctx, ADMIN, PASSWORD, SUBDISTRICT, "admin", "朝外管理员")
    return ADMIN


def _csrf(page) -> str:
    return page.locator("input[name=csrf_token]").first.get_attribute("value")


def test_subdistrict_admin_manages_units_rosters_and_import(console_world, console_server, page, sub_admin, tmp_path):
    base, ctx = console_server.url, console_world.ctx
    sign_in(page, base, ADMIN)
    page.wait_for_url(re.compile(r"/incidents"))
    page.click("nav.mainnav a[href='/admin/units']")
    # the subtree: 朝外 and its communities, official ones included
    rows = page.locator("[data-children] tr[data-unit]")
    ids = rows.evaluate_all("els => els.map(e => e.dataset.unit)")
    assert "sq-fangcaodi" in ids and "sq-jixiangli" in ids
    assert any(i.startswith("sq-110105002") for i in ids)
    shot(page, "20-admin-units")
    page.fill("input[name=q]", "吉祥里")
    page.click(".searchbar button[type=submit]")
    assert "吉祥里社区" in page.locator("[data-results]").inner_text()

    # edit a community's landmarks
    page.goto(f"{base}/admin/units/sq-jixiangli")
    page.fill("form[data-form=edit] textarea[name=landmarks]", "吉祥里小区东门、朝外菜市场")
    page.click("form[data-form=edit] button[type=submit]")
    page.wait_for_url(re.compile(r"done=saved"))
    assert "朝外菜市场" in load_org(ctx)["sq-jixiangli"].landmarks
    assert "别名/地标" in page.locator("[data-history]").inner_text()

    # its roster: a new officer with hours written the way staff write them
    page.fill("input[name=name_0]", "赵值班")
    page.fill("input[name=email_0]", "zhao@example.org")
    page.fill("input[name=hours_0]", "工作日 9:00-18:00")
    page.click("form[data-form=roster] button[type=submit]")
    page.wait_for_url(re.compile(r"done=roster"))
    officer = load_org(ctx)["sq-jixiangli"].roster[0]
    assert (officer.name, officer.email, officer.hours) == ("赵值班", "zhao@example.org", "weekdays 09:00-18:00")
    shot(page, "21-admin-unit")

    # add an enterprise under 芳草地, move it under 吉祥里, retire it and bring it back
    page.goto(f"{base}/admin/new?parent=sq-fangcaodi")
    page.fill("form[data-form=new] input[name=name]", "北京朝外示例餐饮有限公司")
    page.fill("form[data-form=new] input[name=aliases]", "朝外示例餐饮")
    page.click("form[data-form=new] button[type=submit]")
    page.wait_for_url(re.compile(r"/admin/units/u-[0-9a-f]+\?done=added"))
    uid = page.url.split("/admin/units/")[1].split("?")[0]
    assert load_org(ctx)[uid].parent == "sq-fangcaodi"
    page.select_option("form[data-form=move] select[name=parent]", "sq-jixiangli")
    page.click("form[data-form=move] button[type=submit]")
    page.wait_for_url(re.compile(r"done=moved"))
    assert load_org(ctx)[uid].parent == "sq-jixiangli"
    page.on("dialog", lambda d: d.accept())
    page.click("form[data-form=retire] button[type=submit]")
    page.wait_for_url(re.compile(r"done=retired"))
    assert uid not in load_org(ctx) and uid in load_org(ctx).retired
    assert page.locator("[data-retired]").count() == 1
    page.click("form[action$='/restore'] button")
    page.wait_for_url(re.compile(r"done=restored"))
    assert load_org(ctx)[uid].parent == "sq-jixiangli"
    actions = [c.action for c in orgregistry.history(ctx, unit_id=uid)]
    assert actions == ["restore", "retire", "move", "add"]
    assert all(c.by.startswith(ADMIN) for c in orgregistry.history(ctx, unit_id=uid))

    # import: a file with a bad row is refused with row-level reasons and nothing applied
    bad = tmp_path / "名单.csv"
    bad.write_text("单位名称,上级单位,联系人,邮箱\n北京朝外甲公司,芳草地社区,甲,jia@example.org\n"
                   "北京朝外乙公司,建外街道,乙,yi@example.org\n北京朝外丙公司,吉祥里社区,丙,not-an-email\n",
                   encoding="gbk")
    version = load_org(ctx).version
    page.goto(f"{base}/admin/import")
    page.set_input_files("form[data-form=upload] input[name=file]", str(bad))
    page.click("form[data-form=upload] button[type=submit]")
    rejected = page.locator("[data-rejected] tbody tr").all_inner_texts()
    assert len(rejected) == 2
    assert rejected[0].startswith("3") and "不在您管理的范围内" in rejected[0]       # 建外 is another 街道
    assert rejected[1].startswith("4") and "邮箱" in rejected[1]
    assert page.locator("form[data-form=apply]").count() == 0
    assert load_org(ctx).version == version
    shot(page, "22-admin-import-rejected")
    good = tmp_path / "good.xlsx"
    _xlsx(good, [["单位名称", "上级单位", "联系人", "电话", "值班时间"],
                 ["北京朝外甲公司", "芳草地社区", "甲", "010-85550001", "全天"],
                 ["北京朝外乙公司", "吉祥里", "乙", "13800000000", "周一至周五 8:30-17:30"]])
    page.set_input_files("form[data-form=upload] input[name=file]", str(good))
    page.click("form[data-form=upload] button[type=submit]")
    assert page.locator("[data-count=new]").inner_text() == "2"
    page.click("form[data-form=apply] button[type=submit]")
    assert page.locator("[data-applied]").count() == 1
    org = load_org(ctx)
    names = {u.name: u for u in org.children("sq-fangcaodi")} | {u.name: u for u in org.children("sq-jixiangli")}
    assert names["北京朝外乙公司"].roster[0].hours == "mon-fri 08:30-17:30"
    assert org.version == version + 1
    shot(page, "23-admin-import-applied")
    entries = {e.action for e in audit.entries(ctx, username=ADMIN)}
    assert {"org.unit.update", "org.roster", "org.unit.add", "org.unit.move", "org.unit.retire",
            "org.unit.restore", "org.import.preview", "org.import"} <= entries


def test_admin_outside_subtree_is_refused_and_audited(console_world, console_server, page, sub_admin):
    base, ctx = console_server.url, console_world.ctx
    sign_in(page, base, ADMIN)
    page.wait_for_url(re.compile(r"/incidents"))
    # another 街道's unit by URL
    assert page.goto(f"{base}/admin/units/jd-jianwai").status == 403
    assert page.goto(f"{base}/admin/units?unit=sq-110105001024").status == 403
    # forged forms from a page of the console (right session, right CSRF token): refused on the server
    page.goto(f"{base}/admin/units/sq-fangcaodi")
    token = _csrf(page)
    before = load_org(ctx)
    statuses = page.evaluate("""async ([token]) => {
        const post = (url, data) => fetch(url, {method: 'POST', credentials: 'same-origin',
            body: new URLSearchParams({csrf_token: token, ...data})}).then(r => r.status);
        return [
          await post('/admin/units/jd-jianwai/edit', {name: '被篡改的街道'}),
          await post('/admin/units/sq-fangcaodi/move', {parent: 'jd-jianwai'}),
          await post('/admin/units/jd-chaowai/retire', {}),
          await post('/admin/new', {parent: 'jd-jianwai', name: '越权新增公司'}),
          await post('/admin/accounts', {username: 'jianwai2', unit: 'jd-jianwai', role: 'admin', password: 'Pass-word-2026'}),
          await post('/admin/accounts/admin/disable', {}),
        ];
    }""", [token])
    assert statuses == [403] * 6
    after = load_org(ctx)
    assert after.version == before.version and after["jd-jianwai"].name == before["jd-jianwai"].name
    assert after["sq-fangcaodi"].parent == "jd-chaowai" and get_user(ctx, "jianwai2") is None
    assert not get_user(ctx, "admin").disabled
    denied = [e for e in audit.entries(ctx, username=ADMIN, action="access.denied")]
    assert len(denied) >= 8 and any("jd-jianwai" in e.target for e in denied)
    # the district admin's audit page shows them
    page.goto(f"{base}/admin/accounts")
    assert "admin" not in page.locator("[data-accounts]").inner_text().split()   # the district admin is above
    shot(page, "24-admin-refused")


def test_accounts_and_suggestions_from_users(console_world, console_server, page, sub_admin):
    base, ctx = console_server.url, console_world.ctx
    # a duty officer proposes a landmark for their community through the API, and has no admin pages
    client, token = login_client(base, "fangcaodi")
    resp = client.post("/api/org/suggestions", headers={"X-CSRF-Token": token},
                       json={"unit_id": "sq-fangcaodi", "term": "芳草地西街菜市场", "kind": "landmark",
                             "evidence": "weibo:123 芳草地西街菜市场的摊主被拖欠工资"})
    assert resp.status_code == 201, resp.text
    outside = client.post("/api/org/suggestions", headers={"X-CSRF-Token": token},
                          json={"unit_id": "sq-jixiangli", "term": "吉祥里某地", "kind": "landmark"})
    assert outside.status_code == 403
    assert client.get("/admin/units").status_code == 403
    sign_in(page, base, "fangcaodi")
    page.wait_for_url(re.compile(r"/incidents"))
    assert page.locator("nav.mainnav a[href='/admin/units']").count() == 0
    page.context.clear_cookies()

    sign_in(page, base, ADMIN)
    page.wait_for_url(re.compile(r"/incidents"))
    page.goto(f"{base}/admin/suggestions")
    row = page.locator("[data-suggestions] tr[data-suggestion]")
    assert row.count() == 1 and "芳草地西街菜市场" in row.inner_text()
    row.locator("form[action$='/accept'] button").click()
    page.wait_for_url(re.compile(r"done=accept"))
    org = load_org(ctx)
    assert "芳草地西街菜市场" in org["sq-fangcaodi"].landmarks
    from yuqing.alerts.linking import linker_for
    assert linker_for(org).link("芳草地西街菜市场有人讨薪").units == ["sq-fangcaodi"]

    # accounts of the subtree: create one, disable it
    page.goto(f"{base}/admin/accounts")
    page.fill("form[data-form=account] input[name=username]", "fcd-analyst")
    page.fill("form[data-form=account] input[name=display_name]", "芳草地分析员")
    page.select_option("form[data-form=account] select[name=unit]", "sq-fangcaodi")
    page.select_option("form[data-form=account] select[name=role]", "analyst")
    page.fill("form[data-form=account] input[name=password]", "Analyst-2026")
    page.click("form[data-form=account] button[type=submit]")
    page.wait_for_url(re.compile(r"done=added"))
    acc = get_user(ctx, "fcd-analyst")
    assert acc is not None and (acc.unit_id, acc.role) == ("sq-fangcaodi", "analyst")
    page.locator("tr[data-account='fcd-analyst'] form[action$='/disable'] button").click()
    page.wait_for_url(re.compile(r"done=disable"))
    assert get_user(ctx, "fcd-analyst").disabled
    shot(page, "25-admin-accounts")


def _xlsx(path, rows) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
