"""The spiders, one per kind of site; ``SPIDER_CLASSES`` maps a source's ``spider`` to its class."""

from __future__ import annotations

from yuqing.crawlers.spiders.discuz import DiscuzSpider
from yuqing.crawlers.spiders.feed import FeedSpider
from yuqing.crawlers.spiders.tieba import TiebaSpider
from yuqing.crawlers.spiders.wechat import WechatSpider
from yuqing.crawlers.spiders.weibo import WeiboSpider

SPIDER_CLASSES = {
    "weibo": WeiboSpider,
    "wechat": WechatSpider,
    "discuz": DiscuzSpider,
    "tieba": TiebaSpider,
    "feed": FeedSpider,
}
