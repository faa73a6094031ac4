"""Reproducible synthetic posts for store tests and benchmarks (not the shipped sample data).

:func:`generate_posts` lays ``n`` posts over a span of days with a daily rhythm (quiet nights,
busy evenings) and a burst, across every platform, a small union hierarchy (district →
subdistricts → communities/enterprises), multi-valued topics, skewed authors, some posts without
topics or sentiment, posts right around local midnight and a month boundary, and repost storms
(near-duplicates the dedupe stage folds into one story). Same ``seed`` → same posts.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

#: unit id → parent id (a small Chaoyang-like hierarchy)
UNITS: dict[str, str | None] = {
    "chaoyang": None,
    "jianwai": "chaoyang", "sanlitun": "chaoyang", "wangjing": "chaoyang", "jiuxianqiao": "chaoyang",
    "jianwai-cbd-community": "jianwai", "jianwai-guomao-ent": "jianwai",
    "sanlitun-taikoo-ent": "sanlitun", "sanlitun-beixiaojie": "sanlitun",
    "wangjing-soho-ent": "wangjing", "wangjing-xiyuan": "wangjing",
    "jiuxianqiao-798-ent": "jiuxianqiao", "jiuxianqiao-dianzicheng": "jiuxianqiao",
}
UNIT_NAMES = {
    "chaoyang": "朝阳区", "jianwai": "建外街道", "sanlitun": "三里屯街道", "wangjing": "望京街道",
    "jiuxianqiao": "酒仙桥街道", "jianwai-cbd-community": "国贸社区", "jianwai-guomao-ent": "国贸大厦物业公司",
    "sanlitun-taikoo-ent": "太古里商业公司", "sanlitun-beixiaojie": "北小街社区",
    "wangjing-soho-ent": "望京SOHO科技公司", "wangjing-xiyuan": "望京西园社区",
    "jiuxianqiao-798-ent": "七九八文创公司", "jiuxianqiao-dianzicheng": "电子城社区",
}
TOPICS = {
    "wage_arrears": ["拖欠工资", "欠薪", "工资迟迟不发", "讨薪"],
    "labor_dispute": ["劳动合同纠纷", "劳动仲裁", "违法解除合同", "经济补偿"],
    "overtime": ["强制加班", "加班费", "996", "连续加班"],
    "workplace_safety": ["安全事故", "工伤", "高温作业", "防护用品"],
    "social_security": ["社保断缴", "公积金", "医保报销", "养老保险"],
    "layoffs": ["裁员", "降薪", "优化员工", "关店"],
    "union_service": ["工会慰问", "职工之家", "法律援助", "困难职工帮扶"],
    "gig_workers": ["外卖骑手", "快递小哥", "网约车司机", "平台算法"],
}
PLATFORM_SOURCES = {
    "weibo": ["weibo-search", "weibo-hot"], "wechat": ["wechat-mp"], "forum": ["chaoyang-forum"],
    "tieba": ["tieba-chaoyang"], "news": ["bjnews", "people-bj"],
}
OPENERS = ["听说", "今天", "刚刚", "有网友反映", "记者了解到", "据职工反映", "求助：", ""]
CLOSERS = ["希望有关部门尽快处理。", "工会能不能管一管？", "大家怎么看？", "已经向街道反映。",
           "感谢工会的帮助！", "维权太难了。", "后续会持续关注。", ""]
EXTRA = ["公司", "员工", "职工", "老板", "项目部", "门店", "物业", "工人", "合同", "春节前", "本月"]
WHO = ["我们公司", "我爸的单位", "隔壁餐馆", "工地老板", "物业经理", "快递站点", "劳务派遣公司", "保安公司",
       "商场专柜", "健身房", "连锁超市", "装修队", "培训机构", "幼儿园", "网约车平台", "写字楼保洁"]
WHEN = ["昨天", "上周", "今年以来", "国庆后", "这两个月", "从八月开始", "上个季度", "前天晚上", "最近"]
AMOUNTS = ["三个月", "两万多块", "五千元", "半年", "四十多人", "十几个工友", "一百多名员工", "八千多"]
ASIDES = ["家里还有老人要养。", "孩子下学期学费还没着落。", "问了好几次都说再等等。", "打12345也没人回。",
          "领导说公司资金困难。", "合同上写得清清楚楚。", "有没有懂法律的朋友？", "工友们都很着急。",
          "听说别的门店也一样。", "人事说是总部的决定。", "已经拍了照片留证据。", "现在每天干十二个小时。",
          "社区工作人员来看过了。", "街道工会的同志很耐心。", "媒体已经关注了。", "不知道该找谁。",
          "周末也要去公司。", "说好的补贴一直没到。", "老板电话打不通了。", "大家准备集体去仲裁。"]


def _unit_path(unit: str) -> list[str]:
    path = [unit]
    while (parent := UNITS[path[-1]]) is not None:
        path.append(parent)
    return path


def generate_posts(n: int, *, seed: int = 7, start: datetime | None = None, days: int = 21,
                   dup_rate: float = 0.08) -> Iterator[dict]:
    """``n`` post dicts (JSON Lines records, not yet enriched beyond topics/sentiment/units)."""
    rng = random.Random(seed)
    start = start or datetime(2026, 10, 20, tzinfo=SHANGHAI)
    authors = [(f"u{i:04d}", f"网友{i:04d}") for i in range(max(20, n // 8))]
    weights = list(itertools.accumulate(1 / (i + 1) ** 0.8 for i in range(len(authors))))
    hours = [1, 1, 1, 1, 1, 2, 3, 5, 8, 9, 9, 8, 9, 8, 7, 7, 7, 8, 10, 12, 12, 10, 6, 3]
    burst_day = days // 2
    leaf_units = [u for u in UNITS if u != "chaoyang"]
    originals: list[dict] = []
    platforms = list(PLATFORM_SOURCES)
    for i in range(n):
        platform = rng.choices(platforms, weights=[5, 2, 2, 1, 2])[0]
        if originals and rng.random() < dup_rate:
            # a repost / copy of an earlier post: same story, different wrapper and author
            orig = rng.choice(originals[-50:])
            content = rng.choice(["转发微博 //@{}: {}", "{1}", "{1} #朝阳#", "【转】{1}"]).format(
                orig["author"]["name"], orig["content"])
            when = datetime.fromisoformat(orig["published_at"]) + timedelta(minutes=rng.randint(1, 600))
            topics, units, sentiment = orig.get("topics", []), orig.get("org_units", []), orig.get("sentiment")
            title = "" if platform == "weibo" else orig.get("title", "")
        else:
            day = burst_day if rng.random() < 0.15 else rng.randrange(days)
            hour = rng.choices(range(24), weights=hours)[0]
            when = start + timedelta(days=day, hours=hour, minutes=rng.randrange(60), seconds=rng.randrange(60),
                                     milliseconds=rng.randrange(1000))
            if rng.random() < 0.03:  # right around local midnight
                when = when.replace(hour=rng.choice([23, 0]), minute=rng.choice([59, 0]))
            k = rng.choices([0, 1, 2, 3], weights=[2, 6, 3, 1])[0]
            topics = rng.sample(list(TOPICS), k)
            units = rng.sample(leaf_units, rng.choices([0, 1, 2], weights=[2, 6, 2])[0])
            if units and rng.random() < 0.15:
                units = [UNITS[units[0]]]  # linked only to a subdistrict
            place = UNIT_NAMES[units[0]] if units else rng.choice(["朝阳", "北京", "我们这里"])
            phrases = [rng.choice(TOPICS[t]) for t in topics] or [rng.choice(["天气", "通勤", "午饭"])]
            body = "，".join(f"{rng.choice(WHEN)}{place}{rng.choice(WHO)}{rng.choice(AMOUNTS)}{p}"
                            for p in phrases)
            asides = "".join(rng.sample(ASIDES, rng.randint(0, 3)))
            content = f"{rng.choice(OPENERS)}{body}，{rng.choice(EXTRA)}第{rng.randint(1, 999)}次说明情况。" \
                      f"{asides}{rng.choice(CLOSERS)}"
            sentiment = None
            if rng.random() < 0.85:
                label = rng.choices(["negative", "neutral", "positive"], weights=[5, 3, 2])[0]
                p = round(rng.uniform(0.5, 0.98), 3)
                rest = round((1 - p) / 2, 3)
                sentiment = {"label": label, "scores": {x: (p if x == label else rest)
                                                        for x in ("negative", "neutral", "positive")}}
            title = "" if platform == "weibo" else f"{place}{phrases[0]}问题调查"
        author = rng.choices(authors, cum_weights=weights)[0]
        metrics = {k: rng.randint(0, 500) for k in ("reposts", "comments", "likes", "reads") if rng.random() < 0.8}
        post = {
            "id": f"{platform}:{seed}{i:07d}",
            "platform": platform,
            "source": rng.choice(PLATFORM_SOURCES[platform]),
            "url": f"https://example.{platform}.cn/p/{seed}{i:07d}",
            "title": title,
            "content": content,
            "author": {"id": author[0], "name": author[1]},
            "published_at": when.isoformat(timespec="milliseconds"),
            "crawled_at": (when + timedelta(minutes=rng.randint(5, 120))).isoformat(timespec="seconds"),
            "metrics": metrics,
            "topics": topics,
            "org_units": units,
            "org_path": sorted({a for u in units for a in _unit_path(u)}),
        }
        if sentiment:
            post["sentiment"] = sentiment
        if originals is not None and not content.startswith(("转发", "【转】")):
            originals.append(post)
        yield post
