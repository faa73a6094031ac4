"""Session pre-flight (``yuqing sources check``): which cookies still work, before a run finds out.

For every source (or the ones named) and every cookie of its pool — or once without cookies when
the pool is empty — fetch the source's first listing page exactly as the spider would (same URL,
user agent, proxy) without following redirects, and classify the answer with
:func:`yuqing.crawlers.blocking.detect_block`. For Weibo with a cookie, ``/api/config`` also tells whether
the session is logged in (``data.login``). Verdicts are stored with the source's state so the next
crawl skips dead cookies, and a cookie that works again is marked ``ok``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import httpx

from yuqing.crawlers.blocking import detect_block
from yuqing.crawlers.credentials import PoolCookie, load_cookie_pools, load_proxies
from yuqing.crawlers.sources import SourceConfig
from yuqing.crawlers.spiders import SPIDER_CLASSES
from yuqing.crawlers.state import SourceState, utcnow


@dataclass
class CookieCheck:
    source: str
    cookie: str          # pool#index [cookie names], or "(no cookie)"
    url: str
    verdict: str         # ok | login | captcha | ban | refused | error
    detail: str

    def as_dict(self) -> dict:
        return asdict(self)


def probe_url(source: SourceConfig) -> str:
    """The first request the spider would send for the source's first target."""

    spider = SPIDER_CLASSES[source.spider](source=source)
    kind, value = source.targets()[0]
    if source.spider == "weibo":
        if kind == "keyword":
            return spider.search_url(value, 1)
        return spider.ajax_url(value, 1) if source.weibo_api == "ajax" else spider.timeline_url(value)
    if source.spider == "wechat":
        return spider.search_url(value, 1)
    if source.spider == "discuz":
        return spider.board_url(value, 1)
    if source.spider == "tieba":
        return spider.forum_url(value, 1) if kind == "board" else spider.search_url(value, 1)
    return value if value.startswith("http") else f"{source.base}/{value.lstrip('/')}"


def check_cookie(ctx, source: SourceConfig, cookie: PoolCookie | None, proxy: str | None,
                 timeout: float = 15.0) -> CookieCheck:
    url = probe_url(source)
    headers = {"User-Agent": ctx.settings.crawl.user_agent, "Accept-Language": "zh-CN,zh;q=0.9"}
    if cookie is not None:
        headers["Cookie"] = cookie.header
    label = cookie.masked() if cookie else "(no cookie)"
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False, proxy=proxy) as client:
            resp = client.get(url, headers=headers)
            block = detect_block(resp.status_code, str(resp.url), resp.content, resp.headers.get("location"),
                                 resp.headers.get("content-type", ""))
            if block is None and source.spider == "weibo" and cookie is not None:
                conf = client.get(f"{source.base}/api/config", headers=headers)
                try:
                    logged_in = bool(conf.json().get("data", {}).get("login"))
                except (ValueError, AttributeError):
                    logged_in = True  # no such endpoint on a mirror: the listing answer stands
                if not logged_in:
                    return CookieCheck(source.name, label, url, "login", "api/config says login=false")
    except httpx.HTTPError as exc:
        return CookieCheck(source.name, label, url, "error", f"{type(exc).__name__}: {exc}")
    if block is not None:
        return CookieCheck(source.name, label, url, block.kind, block.reason)
    if resp.status_code >= 400:
        return CookieCheck(source.name, label, url, "error", f"HTTP {resp.status_code}")
    return CookieCheck(source.name, label, url, "ok", f"HTTP {resp.status_code}, {len(resp.content)} bytes")


def check_sources(ctx, sources: list[SourceConfig]) -> list[CookieCheck]:
    pools = load_cookie_pools(ctx)
    proxies = load_proxies(ctx)
    results = []
    for i, source in enumerate(sources):
        proxy = proxies[i % len(proxies)] if proxies else None
        cookies: list[PoolCookie | None] = list(pools.get(source.pool, [])) or [None]
        checks = [check_cookie(ctx, source, c, proxy) for c in cookies]
        results.extend(checks)
        now = utcnow()
        with SourceState.locked(ctx.data_dir, source.name) as state:
            for cookie, check in zip(cookies, checks, strict=True):
                if cookie is not None and check.verdict != "error":
                    state.cookie_verdict(cookie.key, check.verdict, check.detail, now)
            state.data["last_check"] = {"at": now.isoformat(),
                                        "verdicts": [c.verdict for c in checks]}
    return results


def to_json(results: list[CookieCheck]) -> str:
    return json.dumps([r.as_dict() for r in results], ensure_ascii=False, indent=2)
