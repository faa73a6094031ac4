"""Synthetic, enriched posts for briefing and scheduler tests: two weeks of posts over a few units
and topics, with near-duplicate clusters, personal data to be masked and a rising topic."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from yuqing.pipeline.core.record import SHANGHAI, Post

UNITS = {  # unit → (subdistrict, parents up to the district)
    "jd-wangjing": ["jd-wangjing", "chaoyang"],
    "sq-wangjing-xiyuan": ["sq-wangjing-xiyuan", "jd-wangjing", "chaoyang"],
    "jd-sanlitun": ["jd-sanlitun", "chaoyang"],
    "jd-jinsong": ["jd-jinsong", "chaoyang"],
    "dq-dongba": ["dq-dongba", "chaoyang"],
}
TOPICS = ["wage_arrears", "labor_contract", "social_insurance", "occupational_safety", "union_services"]
TEXTS = {
    "wage_arrears": "望京某公司拖欠农民工工资三个月，{n}名工人讨薪无果，联系人电话13812345678",
    "labor_contract": "公司强迫员工签订不合理劳动合同，不签就辞退，大家很无奈",
    "social_insurance": "单位一直不给交社保，问了人事说下个月再说，身份证号110105199003071234都交上去了",
    "occupational_safety": "工地高空作业没有安全防护，工友很担心出事故",
    "union_services": "区总工会组织的职工技能培训很实用，点赞工会服务",
}


def make_posts(week_start: datetime, seed: int = 7, weeks: int = 2) -> list[Post]:
    """Posts over ``weeks`` weeks ending at ``week_start + 7 days``; the last week has more
    wage-arrears posts (a rising topic) and a repost storm (a near-duplicate cluster)."""
    rng = random.Random(seed)
    posts: list[Post] = []
    n = 0
    for w in range(weeks):
        start = week_start - timedelta(days=7 * (weeks - 1 - w))
        current = w == weeks - 1
        count = 60 if current else 40
        for i in range(count):
            topic = "wage_arrears" if current and i % 3 == 0 else rng.choice(TOPICS)
            unit = rng.choice(list(UNITS))
            label = ("positive" if topic == "union_services" else
                     rng.choice(["negative", "negative", "neutral"]))
            n += 1
            published = start + timedelta(minutes=rng.randrange(0, 7 * 24 * 60))
            posts.append(Post(
                id=f"weibo:{n}", platform="weibo",
                source="test-source", url=f"https://weibo.example/{n}",
                content=TEXTS[topic].format(n=rng.randint(5, 40)) + f" #{n}",
                author={"id": f"u{rng.randint(1, 30)}", "name": "某网友"},
                published_at=published, metrics={"reposts": rng.randint(0, 50), "comments": rng.randint(0, 20),
                                                 "likes": rng.randint(0, 100)},
                topics=[topic] + (["labor_contract"] if topic == "wage_arrears" and i % 4 == 0 else []),
                sentiment={"label": label, "scores": {label: 0.9}},
                org_units=[unit], org_path=UNITS[unit], link_confidence=0.9))
        if current:  # a repost storm of one wage-arrears post in Wangjing
            root = f"weibo:{n + 1}"
            for k in range(12):
                n += 1
                posts.append(Post(
                    id=f"weibo:{n}", platform="weibo", source="test-source", url=f"https://weibo.example/{n}",
                    content="望京SOHO附近工地数十名工人聚集讨薪，称包工头拖欠工资半年，电话13912345678",
                    author={"id": f"r{k}", "name": "转发者"},
                    published_at=start + timedelta(days=5, hours=k), metrics={"reposts": 100 - k},
                    topics=["wage_arrears"], sentiment={"label": "negative", "scores": {"negative": 0.95}},
                    org_units=["jd-wangjing"], org_path=UNITS["jd-wangjing"], dup_of=None if k == 0 else root))
    return posts


def week_start(iso_week: str = "2026-W47") -> datetime:
    year, week = iso_week.split("-W")
    return datetime.combine(datetime.fromisocalendar(int(year), int(week), 1).date(), datetime.min.time(),
                            tzinfo=SHANGHAI)
