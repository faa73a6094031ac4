"""Is this response the site pushing back? A pure decision the downloader middleware acts on.

:func:`detect_block` looks at status, redirect target, final URL and body and returns a
:class:`Block` (kind + human reason) or ``None``. Kinds:

``ban``      HTTP 403/418/429, Weibo's 432, "访问过于频繁" pages — the IP or account is throttled;
``captcha``  Sogou's antispider page, Baidu's 安全验证, WeChat's 环境异常 verification page;
``login``    a redirect to a login page (passport.weibo.cn, passport.baidu.com, Discuz
             ``member.php?mod=logging``), Weibo JSON ``ok: -100``, a Discuz! ``#messagetext``
             page saying 尚未登录 / 没有权限;
``refused``  JSON ``ok: 0`` with a message that is not the ordinary "no more content".

What is *not* a block: Weibo's ``{"ok": 0, "msg": "这里还没有内容"}`` is the normal end of a list,
an expired WeChat article is a deleted post — the parsers handle both.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

BAN_STATUSES = {403: "HTTP 403 Forbidden", 418: "HTTP 418 (anti-crawler)", 429: "HTTP 429 Too Many Requests",
                432: "HTTP 432 (Weibo anti-crawler)"}

_LOGIN_URL = re.compile(
    r"passport\.weibo\.(?:cn|com)|login\.sina\.com\.cn|weibo\.com/login|/signin/login|visitor\.passport"
    r"|passport\.baidu\.com|wappass\.baidu\.com/passport|member\.php\?mod=logging|action=login"
    r"|mp\.weixin\.qq\.com/(?:cgi-bin/)?(?:login|bizlogin)", re.I)
_CAPTCHA_URL = re.compile(r"weixin\.sogou\.com/antispider|/antispider/|wappass\.baidu\.com/static/captcha"
                          r"|mp\.weixin\.qq\.com/mp/(?:verifycode|wappoc_appmsgcaptcha)", re.I)

#: body markers (searched in the first 20 kB of text responses) → (kind, reason)
_BODY_MARKERS: list[tuple[str, str, str]] = [
    ("antispider.min.js", "captcha", "搜狗反爬验证页 Sogou antispider page"),
    ("seccodeImage", "captcha", "验证码页面 captcha page"),
    ("用户您好，您的访问过于频繁", "captcha", "搜狗：访问过于频繁，需要验证"),
    ("百度安全验证", "captcha", "百度安全验证 Baidu security check"),
    ("wappass.baidu.com/static/captcha", "captcha", "百度安全验证 Baidu security check"),
    ("环境异常", "captcha", "微信：环境异常，需完成验证"),
    ("访问过于频繁", "ban", "访问过于频繁 (rate limited)"),
    ("请求过于频繁", "ban", "请求过于频繁 (rate limited)"),
]

#: Weibo "ok: 0" messages that only mean "nothing (more) here"
EMPTY_MESSAGES = ("这里还没有内容", "暂无数据", "没有更多", "还没有人评论", "快来发表你的评论吧")


@dataclass(frozen=True)
class Block:
    kind: str      # ban | captcha | login | refused
    reason: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.reason}"


def detect_block(status: int, url: str, body: bytes = b"", location: str | None = None,
                 content_type: str = "") -> Block | None:
    """Classify a response (see the module docstring); ``None`` when it is an ordinary page."""
    block = _status_block(status, url, location)
    if block is not None or status != 200 or not body:
        return block
    head = body[:20000]
    if b"json" in content_type.encode().lower() or head.lstrip()[:1] in (b"{", b"["):
        return _json_block(head if len(body) <= 20000 else body, url)
    return _page_block(head, len(body), url)


def _status_block(status: int, url: str, location: str | None) -> Block | None:
    """A block told by the status, the redirect target or the URL landed on."""
    if status in BAN_STATUSES:
        return Block("ban", f"{BAN_STATUSES[status]} from {url}")
    if 300 <= status < 400 and location:
        if _CAPTCHA_URL.search(location):
            return Block("captcha", f"redirected to a captcha page {location}")
        if _LOGIN_URL.search(location):
            return Block("login", f"redirected to a login page {location}")
    if _CAPTCHA_URL.search(url):
        return Block("captcha", f"landed on a captcha page {url}")
    if _LOGIN_URL.search(url) and status == 200:
        return Block("login", f"landed on a login page {url}")
    return None


def _page_block(head: bytes, size: int, url: str) -> Block | None:
    """A block told by an HTML page's text (``head``: its first 20 kB; ``size``: its length)."""
    text = head.decode("utf-8", errors="ignore")
    if not text.strip():
        return None
    if 'id="messagetext"' in text:  # Discuz! message page: GBK text, so look at the bytes too
        gbk = head.decode("gb18030", errors="ignore")
        if any(w in t for t in (text, gbk) for w in ("尚未登录", "需要登录", "请先登录", "没有权限")):
            return Block("login", f"Discuz! asks to log in / no permission at {url}")
    for marker, kind, reason in _BODY_MARKERS:
        if marker in text:
            # a big real page may quote these words; block pages are small and have no content
            if kind == "ban" and size > 30000:
                continue
            return Block(kind, f"{reason} at {url}")
    return None


def _json_block(body: bytes, url: str) -> Block | None:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None  # malformed JSON is the parser's business (logged and skipped)
    if not isinstance(data, dict) or "ok" not in data:
        return None
    ok = data.get("ok")
    msg = str(data.get("msg") or data.get("message") or "")
    if ok == -100 or "login" in str(data.get("url", "")).lower() or "登录" in msg:
        return Block("login", f"Weibo requires login (ok={ok}, {msg or data.get('url', '')}) at {url}")
    if ok in (0, "0") and not any(m in msg for m in EMPTY_MESSAGES):
        if "频繁" in msg:
            return Block("ban", f"Weibo: {msg} at {url}")
        if msg:
            return Block("refused", f"Weibo refused: {msg} at {url}")
    return None
