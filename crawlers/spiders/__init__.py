"""The spiders, one per kind of site; ``SPIDER_CLASSES`` maps a source's ``spider`` to its class."""

from __future__ import annotations

from crawlers.spiders.discuz import DiscuzSpider
from crawlers.spiders.feed import FeedSpider
from crawlers.spiders.tieba import TiebaSpider
from crawlers.spiders.wechat import WechatSpider
from crawlers.spiders.weibo import WeiboSpider

SPIDER_CLASSES = {
    "weibo": WeiboSpider,
    "wechat": WechatSpider,
    "discuz": DiscuzSpider,
    "tieba": TiebaSpider,
    "feed": FeedSpider,
}
