"""The Chinese names users read for what the system stores as ids — defined here once.

Topic names are not here: they come from ``config/taxonomy.yaml`` (:mod:`.taxonomy`), and unit
names from the hierarchy (:mod:`.org`). Everything else a page, message, briefing or command
shows by name is: sentiments, platforms, incident statuses and severities, hierarchy levels,
console roles, crawl-source health.
"""

from __future__ import annotations

SENTIMENT_NAMES: dict[str, str] = {"negative": "负面", "neutral": "中性", "positive": "正面"}

PLATFORM_NAMES: dict[str, str] = {"weibo": "微博", "wechat": "微信公众号", "forum": "论坛", "tieba": "贴吧",
                                  "news": "新闻", "report": "信息报送"}

#: incident status (alerts)
STATUS_NAMES: dict[str, str] = {"open": "待确认", "acknowledged": "已确认", "resolved": "已处置"}

#: incident severity, lowest first
SEVERITY_NAMES: dict[str, str] = {"low": "低", "medium": "中", "high": "高", "critical": "紧急"}

#: levels of the union hierarchy, top first
LEVEL_NAMES: dict[str, str] = {"district": "区总工会", "subdistrict": "街道/地区工会", "community": "社区/村工会",
                               "enterprise": "企业工会"}

#: console account roles
ROLE_NAMES: dict[str, str] = {"duty": "值班员", "analyst": "分析员", "admin": "管理员", "correspondent": "信息员"}

#: grassroots reports (信息报送, ``yuqing.alerts.reports``): status, urgency, how the reporter learned it,
#: the levels a report is adopted at, response statements (口径)
REPORT_STATUS_NAMES: dict[str, str] = {"pending": "待审核", "needs_more": "待补报", "adopted": "已采用",
                                       "returned": "已退回"}
REPORT_URGENCY_NAMES: dict[str, str] = {"normal": "一般", "urgent": "紧急"}
REPORT_CHANNEL_NAMES: dict[str, str] = {"onsite": "现场", "phone": "电话", "hotline": "12345", "internet": "网络",
                                        "other": "其他"}
ADOPTION_LEVEL_NAMES: dict[str, str] = {"subdistrict": "街乡", "district": "区"}
RESPONSE_STATUS_NAMES: dict[str, str] = {"pending": "待审批", "returned": "已退回修改", "approved": "已批准",
                                         "published": "已发布"}

#: crawl-source health
SOURCE_STATUS_NAMES: dict[str, str] = {
    "ok": "正常", "paused": "已暂停（被封禁/验证码/需登录）", "stale": "停滞（长时间未成功采集）",
    "failing": "频繁出错", "empty": "连续多次未采集到内容（页面结构可能已变化）", "disabled": "已停用",
}


def name(table: dict[str, str], key: str | None) -> str:
    """``table[key]``, or the key itself when unknown (display never fails)."""
    if key is None:
        return ""
    return table.get(key, key)
