"""The briefing's text, written once: the data dict → numbered sections of blocks.

The Word, HTML and Markdown renderers all walk the same outline, so the three formats say the
same thing in the same order. Block kinds:

``para``    a paragraph (optional bold ``lead`` in front)
``sub``     a second-level heading, numbered （一）（二）…
``table``   ``headers`` + ``rows`` (strings), with an optional ``note`` and ``widths_cm`` (Word)
``image``   a chart by name (``trend``, ``topics``, ``units``, ``sentiment``) and its caption
``bullets`` a list of strings
``links``   representative posts: ``items`` of {time, platform, text, url}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from yuqing.pipeline.briefing.reporting import response_items, summary_text

CN_NUM = "一二三四五六七八九十"
UNIT_ROWS = 15  # rows of the unit table; the rest are summed in one line


def cn(n: int) -> str:
    """1 → 一, 12 → 十二 (enough for section and item numbers)."""
    if n <= 10:
        return CN_NUM[n - 1]
    if n < 20:
        return "十" + CN_NUM[n - 11]
    tens, ones = divmod(n, 10)
    return CN_NUM[tens - 1] + "十" + (CN_NUM[ones - 1] if ones else "")


@dataclass
class Section:
    number: int
    title: str
    blocks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def heading(self) -> str:
        return f"{cn(self.number)}、{self.title}"

    def add(self, kind: str, **kw) -> None:
        self.blocks.append({"kind": kind, **kw})

    def sub(self, text: str) -> None:
        n = sum(1 for b in self.blocks if b["kind"] == "sub") + 1
        self.add("sub", text=f"（{cn(n)}）{text}")


def _chg(pct: float | None, unit: str = "") -> str:
    if pct is None:
        return "—"
    return f"{pct:+g}%{unit}"


def _overview(data: dict, charts: dict) -> Section:
    s = Section(1, "本周概况" if data["period"]["kind"] == "week" else "当日概况")
    ov = data["overview"]
    s.add("para", lead="总体情况。", text=ov["headline"])
    sent = ov["sentiment"]
    share = ov["sentiment_share"]
    text = (f"从情感倾向看，负面信息{sent['negative']}条（{share['negative']:g}%），中性{sent['neutral']}条"
            f"（{share['neutral']:g}%），正面{sent['positive']}条（{share['positive']:g}%）")
    text += f"，另有{ov['unlabelled']}条未作情感判定。" if ov["unlabelled"] else "。"
    if ov["platforms"]:
        text += "从信息来源看，" + "，".join(f"{p['name']}{p['posts']}条（{p['share']:g}%）" for p in ov["platforms"]) + "。"
    s.add("para", lead="结构特点。", text=text)
    s.add("table", headers=["指标", "本期", "上期", "环比"], rows=[
        ["信息总量（条）", str(ov["posts"]), str(ov["prev_posts"]), _chg(ov["change_pct"])],
        ["独立事件（组）", str(ov["clusters"]), str(ov["prev_clusters"]), "—"],
        ["发布账号（个）", str(ov["authors"]), "—", "—"],
        ["互动量（转评赞）", f"{ov['engagement']:.0f}", "—", "—"],
        ["负面占比", f"{ov['negative_share']:g}%", f"{ov['prev_negative_share']:g}%", "—"],
    ])
    if "sentiment" in charts and ov["posts"]:
        s.add("image", name="sentiment", caption="图1　情感倾向分布", width_cm=8)
    return s


def _topics(data: dict, charts: dict) -> Section:
    s = Section(2, "话题分布与走势")
    topics, daily = data["topics"], data["daily"]
    if not topics:
        s.add("para", text="本期信息均未归入监测话题。")
    else:
        top = "、".join(f"「{t['name']}」{t['posts']}条" for t in topics[:3])
        s.add("para", text=f"本期信息共涉及{len(topics)}个话题，信息量居前的是{top}。"
                           "（一条信息可涉及多个话题，各话题合计可能大于总量。）")
        neg = sorted((t for t in topics if t["negative"]), key=lambda t: (-t["negative_share"], -t["posts"]))
        if neg:
            s.add("para", text="负面占比较高的话题：" + "，".join(
                f"「{t['name']}」{t['negative_share']:g}%（{t['negative']}/{t['posts']}）" for t in neg[:3]) + "。")
        s.add("table", headers=["话题", "信息量", "占比", "负面", "负面占比", "上期", "环比"], rows=[
            [t["name"], str(t["posts"]), f"{t['share']:g}%", str(t["negative"]), f"{t['negative_share']:g}%",
             str(t["prev_posts"]), _chg(t["change_pct"])] for t in topics])
        if "topics" in charts:
            s.add("image", name="topics", caption="图2　话题信息量与负面占比", width_cm=15)
    weekly = data["period"]["kind"] == "week"
    if daily["peak_label"]:
        text = f"信息量峰值出现在{daily['peak_label']}（{daily['peak_posts']}条）"
        if weekly:
            text += "；逐日信息量：" + "，".join(f"{lb}{n}条" for lb, n in zip(daily["labels"], daily["posts"], strict=True))
        s.add("para", lead="每日走势。" if weekly else "分时走势。", text=text + "。")
    if "trend" in charts:
        s.add("image", name="trend", caption="图3　每日舆情走势" if weekly else "图3　分时舆情走势", width_cm=15)
    return s


def _units(data: dict, charts: dict) -> Section:
    u = data["units"]
    s = Section(3, f"各{u['level_name']}分布")
    rows = u["rows"]
    if not rows:
        s.add("para", text=f"本期信息未关联到具体{u['level_name']}。")
        return s
    top = "、".join(f"{r['name']}（{r['posts']}条）" for r in rows[:3])
    s.add("para", text=f"本期有{sum(1 for r in rows if r['posts'])}个{u['level_name']}涉及相关舆情，信息量居前的是{top}。")
    if u["rising"]:
        s.add("para", lead="上升较快：", text="，".join(
            f"{r['name']}{r['posts']}条（上期{r['prev_posts']}条，增加{r['delta']}条）" for r in u["rising"]) + "。")
    if u["falling"]:
        s.add("para", lead="明显回落：", text="，".join(
            f"{r['name']}{r['posts']}条（上期{r['prev_posts']}条，减少{-r['delta']}条）" for r in u["falling"]) + "。")
    shown, rest = rows[:UNIT_ROWS], rows[UNIT_ROWS:]
    table = [[r["name"], str(r["posts"]), f"{r['share']:g}%", str(r["negative"]), f"{r['negative_share']:g}%",
              str(r["prev_posts"]), f"{r['delta']:+d}"] for r in shown]
    if rest:
        posts, neg, prev = (sum(r[k] for r in rest) for k in ("posts", "negative", "prev_posts"))
        table.append([f"其余{len(rest)}个单位", str(posts), "—", str(neg), "—", str(prev), f"{posts - prev:+d}"])
    s.add("table", headers=["单位", "信息量", "占比", "负面", "负面占比", "上期", "增减"], rows=table,
          note="按信息所涉单位及其下级单位汇总；一条信息可涉及多个单位"
               + (f"；按信息量列出前{UNIT_ROWS}个（完整数据见 data.json）。" if rest else "。"))
    if "units" in charts:
        s.add("image", name="units", caption=f"图4　各{u['level_name']}信息量", width_cm=15)
    return s


def _events(data: dict) -> Section:
    s = Section(4, "重点舆情")
    if not data["events"]:
        s.add("para", text="本期未发现需重点关注的舆情事件。")
        return s
    for e in data["events"]:
        s.sub(e["title"])
        span = f"{e['first']}至{e['last']}" if e["first"] != e["last"] else e["first"]
        s.add("para", lead="基本情况：", text=e["summary"])
        if e["posts"] == 1:
            spread = (f"发布于{span}，单条信息，{'负面' if e['negative'] else '非负面'}，互动量{e['engagement']}，"
                      f"来源{'、'.join(e['platforms'])}。")
        else:
            spread = (f"时间{span}，相关信息{e['posts']}条（{e['clusters']}组不同内容），负面{e['negative']}条"
                      f"（{e['negative_share']:g}%），互动量{e['engagement']}，来源{'、'.join(e['platforms'])}"
                      + ("；至本期末仍有新增。" if e["ongoing"] else "。"))
        s.add("para", lead="传播情况：", text=spread)
        detail = []
        if e["topics"]:
            detail.append("话题：" + "、".join(e["topics"]))
        detail.append("涉及单位：" + ("、".join(e["units"]) if e["units"] else "未关联到具体单位"))
        s.add("para", lead="研判要素：", text="；".join(detail) + "。")
        s.add("links", items=e["representatives"])
    return s


def _incidents(data: dict) -> Section:
    s = Section(5, "预警处置")
    inc = data["incidents"]
    if not inc.get("available"):
        s.add("para", text="预警模块尚未启用或暂无预警记录，本期无预警处置数据。")
        return s
    if not inc["raised"]:
        s.add("para", text="本期未触发舆情预警。")
        return s
    med = f"，签收用时中位数{inc['median_ack_minutes']:g}分钟（最长{inc['max_ack_minutes']:g}分钟）" \
        if inc["median_ack_minutes"] is not None else "，暂无签收记录"
    s.add("para", text=(f"本期共触发预警{inc['raised']}起，已签收{inc['acknowledged']}起，已办结{inc['resolved']}起，"
                        f"逐级上报{inc['escalated']}起，尚未办结{inc['open']}起{med}。"))
    if inc["by_severity"]:
        s.add("para", text="按级别：" + "，".join(f"{k}{n}起" for k, n in inc["by_severity"].items()) + "。")
    s.add("table", headers=["时间", "单位", "话题", "级别", "状态", "升级至", "签收用时（分）"], rows=[
        [r["created"], r["unit"], r["topic"], r["severity"], r["status"], r["escalated_to"],
         "—" if r["ack_minutes"] is None else f"{r['ack_minutes']:g}"] for r in inc["rows"]],
        widths_cm=[2.8, 3.2, 3.0, 1.2, 1.6, 2.0, 1.8],
        note=None if inc["raised"] <= len(inc["rows"]) else f"仅列出前{len(inc['rows'])}起。")
    return s


def _observations(data: dict) -> Section:
    s = Section(6, "研判与建议")
    obs = data["observations"]
    s.sub("形势研判")
    s.add("bullets", items=obs["findings"])
    s.sub("工作建议")
    s.add("bullets", items=obs["advice"])
    s.sub("下周关注")
    s.add("bullets", items=obs["watch"])
    return s


def masthead(data: dict[str, Any], generated) -> dict[str, str]:
    """The masthead texts every format shares: name, issue line, title, dates."""
    period = data["period"]
    if period["kind"] == "month":  # the monthly 信息报送通报 (yuqing.pipeline.briefing.bulletin)
        year, month = period["key"].split("-")
        return {"name": "信息报送通报", "issue": f"{year}年第{int(month)}期",
                "title": f"{data['scope_name']}{period['label']}信息报送情况通报", "generated": f"{generated:%Y-%m-%d %H:%M}",
                "generated_label": f"{generated.year}年{generated.month}月{generated.day}日"}
    weekly = period["kind"] == "week"
    name = "舆情周报" if weekly else "舆情日报"
    issue = f"{period['key'][:4]}年第{int(period['key'].split('W')[1])}期" if weekly else period["label"]
    return {"name": name, "issue": issue, "title": f"{data['scope_name']}网络{name}",
            "generated": f"{generated:%Y-%m-%d %H:%M}",
            "generated_label": f"{generated.year}年{generated.month}月{generated.day}日"}


def build_outline(data: dict[str, Any], charts: dict[str, Any]) -> list[Section]:
    sections = [_overview(data, charts), _topics(data, charts), _units(data, charts), _events(data),
                _incidents(data), *_reporting(data), _observations(data)]
    for n, section in enumerate(sections, 1):
        section.number = n
    return sections


def _reporting(data: dict[str, Any]) -> list[Section]:
    """信息报送: received per 街乡 and per unit, adopted at each level, time to first review, and the
    union's responses (回应口径) of the period. Counts only: no report text, no names."""
    rep = data.get("reporting") or {}
    if not rep.get("available"):
        return []
    weekly = data["period"]["kind"] == "week"
    s = Section(6, "信息报送")
    s.add("para", text=summary_text(rep, "本周" if weekly else "当日"))
    if rep["branches"] and rep["received"]:
        s.add("table", headers=["单位", "报送", "街乡采用", "区采用", "紧急"], rows=[
            [b["name"], str(b.get("received", 0)), str(b.get("subdistrict", 0)), str(b.get("district", 0)),
             str(b.get("urgent", 0))] for b in rep["branches"]],
            note="按报送单位所属的下一级单位汇总；采用数为截至成文时的情况。")
        top = [u for u in rep["units"] if u["received"]][:UNIT_ROWS]
        s.add("para", lead="基层单位：", text="，".join(
            f"{u['name']}{u['received']}条（采用{u['adopted']}条）" for u in top) + "。")
    items = response_items(rep)
    if items:
        s.sub("工会回应口径")
        s.add("bullets", items=items)
    return [s]
