"""Synthetic post streams over simulated time, for the alert scenario tests, the benchmark and
demos: a quiet background with daily and weekly rhythm, and the events alerts must (or must
not) react to — a burst at one unit, a repost storm from one account, a district-wide rise.

Posts are plain :class:`~yuqing.pipeline.core.record.Post` records that mention a unit by one of its names
or landmarks, so they can go through the real ingest stages (normalise → dedupe → link); with
``enrich=True`` the generator fills ``topics``, ``sentiment`` and the org fields itself (fast
path for the benchmark's million posts).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from yuqing.pipeline.core.org import OrgTree
from yuqing.pipeline.core.record import Author, Metrics, Post, Sentiment

TOPIC_PHRASES = {
    "wage_arrears": ["拖欠工资三个月了", "老板一直不发工资", "讨薪无门", "工钱结不到", "包工头跑路了工资没着落"],
    "social_insurance": ["公司不给交社保", "社保断缴了", "公积金按最低基数交"],
    "working_hours": ["天天加班到深夜", "大小周还没有加班费", "强制996"],
    "layoffs": ["公司突然裁员", "被劝退没有补偿", "说是优化其实就是辞退"],
    "occupational_safety": ["车间没有防护", "高温作业没有补贴", "安全隐患没人管"],
    "gig_workers": ["骑手被平台罚款", "站点克扣配送费", "派单太多根本送不完"],
    "labor_contract": ["入职半年不签合同", "试用期被无故延长", "劳务派遣同工不同酬"],
}
FILLERS = ["大家怎么看", "求助", "有没有人管管", "真的太难了", "希望有关部门关注", "转给需要的人",
           "已经打了12345", "工友们都很着急", "今天又去问了", "实在没办法了", "", "说好的月底也没兑现"]
NEUTRAL = ["今天的工会活动很热闹", "职工之家新开了阅览室", "送清凉活动到工地", "技能培训报名开始了"]


def hourly_profile(hour: int) -> float:
    """Relative posting activity by hour of day (quiet at night, peaks at noon and evening)."""
    return 0.15 + 0.85 * (math.exp(-((hour - 12.5) ** 2) / 18) + 0.8 * math.exp(-((hour - 20.5) ** 2) / 8))


class Simulator:
    def __init__(self, org: OrgTree, tz, seed: int = 7, topics: list[str] | None = None):
        self.org, self.tz = org, tz
        self.rng = random.Random(seed)
        self.topics = topics or list(TOPIC_PHRASES)
        self.units = [u for u in org.units.values() if u.id != org.root.id]
        self._n = 0

    # -- building blocks -----------------------------------------------------------------------

    def mention(self, unit_id: str) -> str:
        unit = self.org[unit_id]
        options = [unit.name, *unit.aliases, *unit.landmarks]
        return self.rng.choice(options)

    def post(self, at: datetime, *, unit_id: str | None, topic: str, negative: bool = True,
             author: str | None = None, text: str | None = None, engagement: int | None = None,
             enrich: bool = False, platform: str = "weibo") -> Post:
        self._n += 1
        pid = f"{platform}:sim{self._n:09d}{self.rng.randrange(1_000_000):06d}"
        if text is None:
            place = self.mention(unit_id) if unit_id else self.rng.choice(["北京", "我们公司", "单位", "这边"])
            phrase = self.rng.choice(TOPIC_PHRASES.get(topic, ["遇到了问题"]) if negative else NEUTRAL)
            text = f"{place}{phrase}，{self.rng.choice(FILLERS)}（{self._n}号）"
        eng = engagement if engagement is not None else int(self.rng.expovariate(1 / 8))
        p = Post(id=pid, platform=platform, source="sim", url=f"https://example.org/p/{pid.split(':')[1]}",
                 content=text, author=Author(id=author or f"u{self.rng.randrange(200_000)}", name=""),
                 published_at=at, metrics=Metrics(reposts=eng // 3, comments=eng // 3, likes=eng - 2 * (eng // 3)))
        if enrich:
            p.topics = [topic]
            p.sentiment = Sentiment(label="negative" if negative else "neutral")
            unit = unit_id or self.org.root.id
            p.org_units = [unit]
            p.org_path = self.org.path(unit)
            p.link_confidence = 0.85 if unit_id else 0.0
        else:
            p.topics = [topic]
            p.sentiment = Sentiment(label="negative" if negative else "neutral")
        return p

    # -- streams -------------------------------------------------------------------------------

    def background(self, start: datetime, end: datetime, per_hour: float, *, enrich: bool = False,
                   linked_share: float = 0.6, negative_share: float = 0.35) -> Iterator[Post]:
        """A quiet rhythm: Poisson arrivals at ``per_hour`` × the hourly profile (weekends × 0.7)."""
        t = start
        mean_profile = sum(hourly_profile(h) for h in range(24)) / 24
        while t < end:
            local = t.astimezone(self.tz)
            rate = per_hour * hourly_profile(local.hour) / mean_profile * (0.7 if local.weekday() >= 5 else 1.0)
            for _ in range(_poisson(self.rng, rate)):
                at = t + timedelta(seconds=self.rng.randrange(3600))
                unit = self.rng.choice(self.units).id if self.rng.random() < linked_share else None
                yield self.post(at, unit_id=unit, topic=self.rng.choice(self.topics),
                                negative=self.rng.random() < negative_share, enrich=enrich)
            t += timedelta(hours=1)

    def burst(self, unit_id: str, topic: str, start: datetime, n: int, hours: float = 3.0, *,
              enrich: bool = False) -> list[Post]:
        """``n`` distinct negative posts by ``n`` distinct authors about ``unit_id`` within ``hours``."""
        return [self.post(start + timedelta(seconds=self.rng.uniform(0, hours * 3600)), unit_id=unit_id,
                          topic=topic, enrich=enrich, engagement=self.rng.randrange(5, 80)) for _ in range(n)]

    def repost_storm(self, unit_id: str, topic: str, start: datetime, n: int, author: str = "storm-account",
                     hours: float = 2.0, *, enrich: bool = False) -> list[Post]:
        """One account posting the same story ``n`` times (tiny variations, as reposts have)."""
        base = f"{self.mention(unit_id)}{TOPIC_PHRASES.get(topic, ['出事了'])[0]}，大家转发扩散让更多人知道！！"
        out = []
        for i in range(n):
            text = base + ("" if i % 3 else " //@" + author + ":转发微博")
            p = self.post(start + timedelta(seconds=self.rng.uniform(0, hours * 3600)), unit_id=unit_id, topic=topic,
                          author=author, text=text, enrich=enrich, engagement=self.rng.randrange(0, 5))
            out.append(p)
        return out

    def spread(self, units: list[str], topic: str, start: datetime, per_unit: int, hours: float = 4.0, *,
               enrich: bool = False) -> list[Post]:
        """A rise spread thinly over many units (a district-wide problem)."""
        return [p for u in units for p in self.burst(u, topic, start, per_unit, hours, enrich=enrich)]


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 50:
        return max(0, int(rng.gauss(lam, math.sqrt(lam)) + 0.5))
    threshold, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= threshold:
            return k
        k += 1
