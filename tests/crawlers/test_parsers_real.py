"""The pure parsers on the real captures in ../shared/fixtures/real (exact values, read in place)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from yuqing.crawlers.parsers import PageError, discuz, feeds, tieba, wechat, weibo

pytestmark = pytest.mark.shared


def at(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def test_weibo_timeline_with_retweet_emoji_and_page_paging(shared_dir):
    body = (shared_dir / "weibo_api" / "bison_getIndex_user_timeline_1907518591.json").read_bytes()
    result = weibo.parse_cards(body, "u", at(2021, 7, 6, 4), "s")
    assert result["next"] == {"page": 2} and result["long"] == ["4640329573078415"]
    posts = {p["id"]: p for p in result["posts"]}
    assert len(posts) == 11
    emoji = posts["weibo:4655701919795833"]
    assert emoji["content"] == "FOFO[作揖][作揖]#2021lpl#"
    assert emoji["published_at"] == "2021-07-05T20:48:19+08:00"
    assert emoji["metrics"] == {"reposts": 0, "comments": 38, "likes": 487}
    assert emoji["author"] == {"id": "1907518591", "name": "余霜YSCandice"}
    rt = posts["weibo:4655758022804664"]
    assert rt["reply_to"] == "weibo:4655757364823177"
    assert rt["content"].startswith("我们绝不会利用签名来赚钱") and "\n//@骆歆同学: ⚠️⚠️⚠️各位兄弟姐妹们" in rt["content"]


def test_weibo_show_and_extend(shared_dir):
    api = shared_dir / "weibo_api"
    post = weibo.parse_show((api / "bison_statuses_show_4645748019299849.json").read_bytes(), "u", at(2021, 7, 1), "s")
    assert post["id"] == "weibo:4645748019299849" and post["published_at"] == "2021-06-08T09:35:04+08:00"
    assert post["url"] == "https://weibo.com/6279793937/Kjc77D1jz"
    full = weibo.parse_long_text((api / "bison_statuses_extend_4645748019299849.json").read_bytes(), "u")
    assert full["content"].startswith("#明日方舟# #音律联觉#\n2021明日方舟音律联觉Ambience Synesthesia专场演出官方录播")
    assert "<" not in full["content"]
    with pytest.raises(PageError, match="malformed JSON"):
        weibo.parse_cards(b'{"ok":1,"data":', "u", at(2021, 7, 1), "s")


def test_sogou_result_page(shared_dir):
    html = (shared_dir / "wechat" / "wechatsogou_search-gaokao-article.html").read_text(encoding="utf-8")
    result = wechat.parse_search(html, "https://weixin.sogou.com/weixin?type=2&query=%E9%AB%98%E8%80%83&page=1",
                                 at(2017, 7, 15))
    assert len(result["results"]) == 10
    first = result["results"][0]
    assert first["title"] == "高考有多重要,为什么要重视高考?丨微观点"
    assert first["account"] == "占豪" and first["published_at"] == "2017-07-01T19:35:51+08:00"
    assert first["link"].startswith("http://mp.weixin.qq.com/s?src=3&timestamp=1500052504&ver=1&signature=")
    assert "page=2" in result["next"]


@pytest.mark.parametrize("name,pid,title,account,when", [
    ("qqmusic", "MzIwOTc2ODc1NQ==_2247484727_1", "关于音乐", "闲云野鹤古刹", "2018-04-07T22:21:55+08:00"),
    ("mpvoice", "MjM5ODAyNTcwMA==_2651788393_1", "语音 | 早安武汉〔2018.3.19 周一〕", "长江日报", "2018-03-19T05:30:00+08:00"),
    ("backgroud-image", "ODUzMjkwMzYx_2654593305_1", "4月6日周五【新闻速览一分钟】", "华商报", "2018-04-06T06:56:20+08:00"),
])
def test_wechat_articles(shared_dir, name, pid, title, account, when):
    html = (shared_dir / "wechat" / f"wechatsogou_article_detail_{name}.html").read_text(encoding="utf-8")
    post = wechat.parse_article(html, "https://mp.weixin.qq.com/s?x", at(2018, 5, 1), "s")
    assert (post["id"], post["title"], post["author"]["name"], post["published_at"]) == (f"wechat:{pid}", title, account, when)
    assert len(post["content"]) > 200 and "<" not in post["content"] and "var " not in post["content"]


def test_wechat_expired_article(shared_dir):
    html = (shared_dir / "wechat" / "wechatsogou_article_detail_expired.html").read_text(encoding="utf-8")
    with pytest.raises(wechat.ArticleGone, match="链接已过期"):
        wechat.parse_article(html, "https://mp.weixin.qq.com/s?x", at(2018, 5, 1), "s")


def test_discuz_board_and_thread(shared_dir):
    board = (shared_dir / "forum" / "discuzx35_mcbbs_forumdisplay_utf8.html").read_text(encoding="utf-8")
    result = discuz.parse_forumdisplay(board, "https://www.mcbbs.net/forum-news-1.html", at(2022, 5, 20, 4))
    threads = {t["tid"]: t for t in result["threads"]}
    assert len(threads) == 30 and sum(t["pinned"] for t in threads.values()) == 5
    t = threads["1340080"]
    assert t["title"] == "（已恢复）Mojang Status：服务器出现一些小问题"
    assert t["author"] == {"id": "2999647", "name": "DreamVoid"}
    assert (t["replies"], t["views"]) == (3, 643)
    assert t["last_post_at"] == "2022-05-16T22:48:00+08:00"
    assert result["next"] == "https://www.mcbbs.net/forum-news-2.html"

    page = (shared_dir / "forum" / "discuzx35_mcbbs_viewthread_utf8.html").read_text(encoding="utf-8")
    result = discuz.parse_viewthread(page, "https://www.mcbbs.net/thread-1340927-1-1.html", at(2022, 5, 20, 4),
                                     "s", "www.mcbbs.net")
    assert result["title"] == "Minecraft Java版 1.19-pre1 发布" and len(result["posts"]) == 15
    first, reply = result["posts"][0], result["posts"][2]
    assert first["id"] == "forum:www.mcbbs.net-25849603" and first["title"] == "Minecraft Java版 1.19-pre1 发布"
    assert first["author"] == {"id": "3152226", "name": "希铁石z"}
    assert "您尚未登录" not in first["content"] and "预发布版有可能导致存档损坏" in first["content"]
    assert reply["content"] == "寄，就差两分钟 大佬tql"  # bare newlines render as a space and reply["published_at"] == "2022-05-19T00:37:59+08:00"
    assert reply["reply_to"] == "forum:www.mcbbs.net-25849603" and reply["thread_id"] == "forum:www.mcbbs.net-t1340927"
    assert result["next"] == "https://www.mcbbs.net/thread-1340927-2-1.html"
    with pytest.raises(PageError, match="truncated"):
        discuz.parse_viewthread(page[:200000], "u", at(2022, 5, 20), "s", "x")


def test_tieba_list_hidden_in_comment_and_search(shared_dir):
    page = (shared_dir / "tieba" / "mediacrawler_tieba_note_list.html").read_text(encoding="utf-8")
    result = tieba.parse_thread_list(page, "https://tieba.baidu.com/f?kw=x", at(2024, 8, 10, 4))
    assert len(result["threads"]) == 48
    first = result["threads"][0]
    assert (first["tid"], first["title"], first["author"], first["replies"]) == (
        "9079949995", "盗墓笔记全集+txt小说，已整理", "公子伯仲", 18)
    assert first["last_post_at"] == "2024-08-10T11:24:00+08:00" and first["created_at"] == "2024-07-06T00:00:00+08:00"
    assert result["next"] == "https://tieba.baidu.com/f?kw=%E7%9B%97%E5%A2%93%E7%AC%94%E8%AE%B0&ie=utf-8&pn=50"

    search = (shared_dir / "tieba" / "mediacrawler_search_keyword_notes.html").read_text(encoding="utf-8")
    found = tieba.parse_search(search, "https://tieba.baidu.com/f/search/res?qw=x", at(2024, 8, 10), "s")
    assert len(found["posts"]) == 10
    assert found["posts"][0]["id"] == "tieba:150718967291"
    assert found["posts"][0]["published_at"] == "2024-08-05T16:45:00+08:00"


def test_tieba_thread_comments_page(shared_dir):
    page = (shared_dir / "tieba" / "mediacrawler_note_comments.html").read_text(encoding="utf-8")
    result = tieba.parse_thread(page, "https://tieba.baidu.com/p/9119688421", at(2024, 8, 10), "s")
    assert result["title"] == "【强烈恭喜】全红婵陈宇汐包揽跳水女子10米台巴黎奥运金银牌！"
    first = result["posts"][0]
    assert (first["id"], first["content"], first["published_at"]) == (
        "tieba:150726491368", "中国队第22金！无悬念！", "2024-08-06T22:09:00+08:00")
    assert all(p["reply_to"] == "tieba:150726491368" for p in result["posts"][1:])


def test_feeds_gb2312(shared_dir):
    body = (shared_dir / "rss" / "chardet_gb2312_rss2_w3cn.org.xml").read_bytes()
    result = feeds.parse_feed(body, "u", at(2023, 1, 1), "s")
    assert result["title"] == "网页设计师 -  文章教程" and len(result["posts"]) == 20
    assert result["posts"][1]["title"] == "HTML4标签的默认样式列表"
    assert result["posts"][1]["published_at"] == "2005-05-25T09:51:45+08:00"
