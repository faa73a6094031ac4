"""RSS/Atom feeds of local news and government sites: one request per feed, new entries only."""

from __future__ import annotations

import re

from yuqing.crawlers.parsers import feeds
from yuqing.crawlers.spiders.base import SourceSpider, target_key


class FeedSpider(SourceSpider):
    name = "feed"
    kind = "feed"

    async def start(self):
        for kind, value in self.source.targets():
            url = value if re.match(r"^https?://", value) else f"{self.base}/{value.lstrip('/')}"
            yield self.request(url, self.parse_feed, target_key(kind, value))

    def parse_feed(self, response):
        target = response.meta["target"]
        result = feeds.parse_feed(response.body, response.url, self.now(response), self.source.name)
        for post in result["posts"]:
            if self.is_new(target, post["published_at"]):
                yield self.emit(target, post)
        self.completed.add(target)
