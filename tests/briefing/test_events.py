"""重点舆情: distinct posts about one enterprise's trouble form one event; unrelated posts of the
same area, or posts days apart, do not."""

from __future__ import annotations

from datetime import datetime, timedelta

from yuqing.pipeline.briefing import build_weekly
from yuqing.pipeline.core.record import SHANGHAI, Post
from yuqing.pipeline.store import open_store

T = datetime(2026, 11, 19, 8, 0, tzinfo=SHANGHAI)
BURST = ["瑞丰制衣拖欠我们三个月工资了，老板天天说下周发", "瑞丰制衣的工友们今天一起去讨薪，厂门口站满了人",
         "在瑞丰制衣干了两年，现在工资拖了三个月，社保也停了", "瑞丰制衣欠薪的事有没有人管管，电话13812345678",
         "听说瑞丰制衣要搬走了，欠的工资怎么办"]
PATH = ["qy-ruifeng-garment", "sq-picun", "dq-jinzhan", "chaoyang"]


def _post(n, text, unit_path, at, topic="wage_arrears"):
    return Post(id=f"weibo:e{n}", platform="weibo", source="s", url=f"https://weibo.example/e{n}", content=text,
                author={"id": f"a{n}"}, published_at=at, topics=[topic] if topic else [],
                sentiment={"label": "negative"}, org_units=[unit_path[0]], org_path=unit_path)


def test_a_burst_about_one_enterprise_is_one_event(ctx):
    posts = [_post(i, text, PATH, T + timedelta(minutes=20 * i)) for i, text in enumerate(BURST)]
    # same enterprise, same topic, but a week-old story: a separate matter
    posts.append(_post(10, "瑞丰制衣食堂的饭菜涨价了，工友们有意见", PATH, T - timedelta(days=3, hours=1), "pay_benefits"))
    posts.append(_post(11, "瑞丰制衣食堂的饭菜又涨价了，大家吃不起", PATH, T - timedelta(days=3), "pay_benefits"))
    # another area's unrelated wage complaint
    posts.append(_post(12, "望京某公司拖欠保洁员工资，物业说没钱", ["jd-wangjing", "chaoyang"], T))
    posts.append(_post(13, "望京写字楼保洁员工资被拖欠两个月", ["jd-wangjing", "chaoyang"], T + timedelta(hours=1)))
    assert not open_store(ctx).upsert_many(posts).failed
    events = build_weekly(ctx, "2026-W47").data["events"]
    top = events[0]
    assert top["posts"] == 5 and top["clusters"] == 5 and top["units"][0] == "瑞丰制衣有限公司"
    assert "13812345678" not in str(top)
    assert sorted(e["posts"] for e in events) == [2, 2, 5]
