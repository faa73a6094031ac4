"""Scrapy settings for the yuqing crawlers: the project layer between Scrapy's defaults and a
source's own ``politeness`` (``config/sources.yaml``), which :mod:`yuqing.crawlers.runner` lays on top.

Politeness by default: AutoThrottle on (targets one request in flight per site), robots.txt is not
consulted (these are public pages read at human pace), per-site concurrency and delay from
:data:`yuqing.crawlers.sources.DEFAULT_POLITENESS`, retries with exponential backoff for 5xx and network
errors — but never for 403/418/429/432, which are bans and stop the source instead.
"""

BOT_NAME = "yuqing"
SPIDER_MODULES = ["yuqing.crawlers.spiders"]

ROBOTSTXT_OBEY = False
COOKIES_ENABLED = True
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
LOG_LEVEL = "INFO"

CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 2.0
RANDOMIZE_DOWNLOAD_DELAY = True
DOWNLOAD_TIMEOUT = 30

AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408]
YUQING_BACKOFF_SECONDS = 2.0
YUQING_BACKOFF_MAX_SECONDS = 60.0

REDIRECT_ENABLED = True
METAREFRESH_ENABLED = False

DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/json,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "zh-CN,zh;q=0.9",
}

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "yuqing.crawlers.middlewares.BackoffRetryMiddleware": 550,
    "yuqing.crawlers.middlewares.BlockDetectionMiddleware": 650,
    "yuqing.crawlers.middlewares.CookiePoolMiddleware": 690,
    "yuqing.crawlers.middlewares.ProxyPoolMiddleware": 740,
}

SPIDER_MIDDLEWARES = {
    "yuqing.crawlers.middlewares.PageErrorMiddleware": 950,
}

ITEM_PIPELINES = {
    "yuqing.crawlers.pipelines.ValidatePipeline": 300,
    "yuqing.crawlers.pipelines.SinkPipeline": 800,
}

REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"
