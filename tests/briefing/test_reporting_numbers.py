"""The monthly 信息报送通报 and the weekly section: their numbers agree with the post store's own
queries (``yuqing stats --platform report --by source``) and with what was submitted and adopted,
on SQLite and on Elasticsearch; the documents carry them and never a worker's name or phone."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta

import pytest
from click.testing import CliRunner
from docx import Document

from yuqing.alerts.report_post import unit_of_source
from yuqing.alerts.reports import Actor, ReportInput, Reports
from yuqing.alerts.responses import Responses
from yuqing.pipeline.briefing.bulletin import build_reporting_bulletin
from yuqing.pipeline.briefing.period import parse_month
from yuqing.pipeline.cli.main import main
from yuqing.pipeline.core.org import load_org
from yuqing.pipeline.ingest.feed import post_feeder
from yuqing.pipeline.store import open_store
from yuqing.pipeline.store.base import PostFilter

MONTH = "2026-11"
#: (reporter, unit, role, how many reports in the month)
REPORTERS = [("fangcaodi", "sq-fangcaodi", 4), ("jixiangli", "sq-jixiangli", 2), ("jinsongbei", "sq-jinsongbei", 3),
             ("jinsong", "jd-jinsong", 1), ("ruifeng", "qy-ruifeng-garment", 2)]
CHAOWAI = Actor("chaowai", "高伟", "jd-chaowai", "duty")
JINSONG = Actor("jinsong-duty", "段悦", "jd-jinsong", "duty")
PICUN = Actor("picun", "社区主席", "sq-picun", "duty")
JINZHAN = Actor("jinzhan", "地区主席", "dq-jinzhan", "duty")
DISTRICT = Actor("district", "朱玉兰", "chaoyang", "duty")


def _tz_time(ctx, day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, 30, tzinfo=ctx.tz)


def fill_reports(ctx) -> dict:
    desk, feed = Reports(ctx), post_feeder(ctx)
    made: dict[str, list] = {}
    n = 0
    for username, unit, count in REPORTERS:
        actor = Actor(username, f"信息员{username}", unit, "correspondent")
        for i in range(count):
            n += 1
            text = f"{unit}第{i}次报送：工人张建国（电话13800001111）反映食堂伙食差、加班费未足额发放（{n}）"
            made.setdefault(unit, []).append(desk.submit(actor, ReportInput(
                text=text, workers=10 + i, personal_data=True, channel="phone"), ingest=feed,
                now=_tz_time(ctx, 1 + n, 9 + i)))
    # outside the month: the day before it starts and the day it ends (local time)
    edge = Actor("fangcaodi", "信息员fangcaodi", "sq-fangcaodi", "correspondent")
    desk.submit(edge, ReportInput(text="十月底的报送"), ingest=feed, now=datetime(2026, 10, 31, 23, 50, tzinfo=ctx.tz))
    desk.submit(edge, ReportInput(text="十二月初的报送"), ingest=feed, now=datetime(2026, 12, 1, 0, 5, tzinfo=ctx.tz))
    reviewed = _tz_time(ctx, 28, 10)
    f, j, s, e = made["sq-fangcaodi"], made["sq-jixiangli"], made["sq-jinsongbei"], made["qy-ruifeng-garment"]
    desk.adopt(CHAOWAI, f[0].id, now=reviewed)
    desk.adopt(DISTRICT, f[0].id, now=reviewed + timedelta(hours=2))
    desk.adopt(CHAOWAI, f[1].id, now=reviewed)
    desk.adopt(DISTRICT, j[0].id, now=reviewed)                    # the district adopts directly
    desk.return_(CHAOWAI, j[1].id, "重复报送", now=reviewed)
    desk.adopt(JINSONG, s[0].id, now=reviewed)
    desk.request_more(JINSONG, s[1].id, "请补充企业名称", now=reviewed)
    desk.adopt(DISTRICT, made["jd-jinsong"][0].id, now=reviewed)
    desk.adopt(JINZHAN, e[0].id, now=reviewed)                     # an enterprise's, at its 地区
    desk.request_more(PICUN, e[1].id, "请补充人数", now=reviewed)     # its community reviews, cannot adopt
    Responses(ctx).draft(CHAOWAI, "街道工会已约谈企业，督促足额发放加班费", "街道工会公众号", report_id=f[0].id,
                         now=reviewed)
    return made


@pytest.mark.parametrize("store_ctx", ["ctx", pytest.param("es_ctx", marks=pytest.mark.es)])
def test_bulletin_numbers_agree_with_the_store_and_the_reports(store_ctx, request, tmp_path):
    context = request.getfixturevalue(store_ctx)
    made = fill_reports(context)
    result = build_reporting_bulletin(context, MONTH, None, tmp_path / "out")
    data = json.loads(result.paths["json"].read_text(encoding="utf-8"))
    rep = data["reporting"]
    period = parse_month(MONTH, context.tz)

    # received per reporting unit == the store's own aggregation == `yuqing stats` == what was sent
    store = open_store(context)
    flt = PostFilter(since=period.start, until=period.end, platforms=("report",))
    by_store = {unit_of_source(r.keys["source"]): r.posts for r in store.aggregate(flt, by=["source"])}
    by_cli = {unit_of_source(r["source"]): r["posts"] for r in _stats(context, period)}
    sent = {unit: len(rows) for unit, rows in made.items()}
    got = {u["unit"]: u["received"] for u in rep["units"]}
    assert got == by_store == by_cli == sent
    assert rep["received"] == store.count(flt) == sum(sent.values()) == 12

    # per 街乡: the reporting units rolled up to their subdistrict-level ancestor
    org = load_org(context)
    branch = Counter()
    for unit, n in sent.items():
        branch[org.path(unit)[-2]] += n
    assert {b["unit"]: b["received"] for b in rep["branches"]} == dict(branch)

    # adoption at each level, per unit, as recorded
    adopted = {u["unit"]: (u["adopted"], u["subdistrict"], u["district"]) for u in rep["units"]}
    assert adopted == {"sq-fangcaodi": (2, 2, 1), "sq-jixiangli": (1, 0, 1), "sq-jinsongbei": (1, 1, 0),
                       "jd-jinsong": (1, 0, 1), "qy-ruifeng-garment": (1, 1, 0)}
    assert (rep["adopted"], rep["subdistrict"], rep["district"], rep["returned"]) == (6, 4, 3, 1)
    assert rep["pending"] == 12 - 6 - 1 - 2  # never reviewed: neither adopted, returned nor asked for more
    assert [u["unit"] for u in rep["units"]][:1] == ["sq-fangcaodi"]  # ranked by adopted
    assert rep["correspondents"][0]["name"] == "信息员fangcaodi" and rep["correspondents"][0]["adopted"] == 2
    assert rep["first_review_hours"] is not None and len(rep["responses"]) == 1

    # the documents: official layout, the numbers, no worker's name or phone
    doc = Document(str(result.paths["docx"]))
    text = "\n".join(p.text for p in doc.paragraphs) + "\n".join(
        c.text for t in doc.tables for row in t.rows for c in row.cells)
    assert doc.paragraphs[0].text == "信息报送通报" and "2026年11月信息报送情况通报" in text
    assert "共收到5个基层单位报送的舆情信息12条" in text and "信息员fangcaodi" in text
    html = result.paths["html"].read_text(encoding="utf-8")
    for doc_text in (text, html, result.paths["md"].read_text(encoding="utf-8")):
        assert "张建国" not in doc_text and "13800001111" not in doc_text


def _stats(context, period) -> list[dict]:
    env = {"YUQING_ES_URL": context.settings.store.elasticsearch.url,
           "YUQING_ES_INDEX_PREFIX": context.settings.store.elasticsearch.index_prefix,
           "YUQING_STORE": context.settings.store.backend}
    res = CliRunner().invoke(main, ["--config-dir", str(context.config_dir), "--data-dir", str(context.data_dir),
                                    "stats", "--platform", "report", "--by", "source", "--since",
                                    period.start.isoformat(), "--until", period.end.isoformat(), "--json"], env=env)
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def test_weekly_section_and_cli(ctx, tmp_path):
    from yuqing.pipeline.briefing import build_weekly

    fill_reports(ctx)
    week = build_weekly(ctx, "2026-W48", None, tmp_path / "week")
    data = json.loads(week.paths["json"].read_text(encoding="utf-8"))
    rep = data["reporting"]
    in_week = [d for d in range(23, 30)]
    assert rep["received"] == sum(1 for n in range(1, 13) if 1 + n in in_week)
    md = week.paths["md"].read_text(encoding="utf-8")
    assert "## 六、信息报送" in md and "## 七、研判与建议" in md and "张建国" not in md
    res = CliRunner().invoke(main, ["--config-dir", str(ctx.config_dir), "--data-dir", str(ctx.data_dir), "briefing",
                                    "reporting", "--month", "2026-13"])
    assert res.exit_code != 0 and "2026-13" in res.output
    res = CliRunner().invoke(main, ["--config-dir", str(ctx.config_dir), "--data-dir", str(ctx.data_dir), "briefing",
                                    "reporting", "--month", MONTH, "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["reporting"]["received"] == 12 and out["files"]["docx"].endswith("reporting-2026-11.docx")
