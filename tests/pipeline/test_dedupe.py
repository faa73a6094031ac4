"""Near-duplicates: reposts and copies join the first post's cluster; different stories do not."""

from datetime import datetime, timedelta, timezone

from pipeline.dedupe import DedupeIndex, hamming, signature_text, simhash
from pipeline.record import Post

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone(timedelta(hours=8)))


def post(i: int, text: str, minutes: int = 0) -> Post:
    return Post(id=f"weibo:{i}", platform="weibo", source="t", content=text,
                published_at=T0 + timedelta(minutes=minutes))


ORIGINAL = "望京SOHO附近的鑫达建筑劳务公司拖欠我们三十多个工人的工资已经三个月了，老板电话打不通，大家准备去劳动监察大队反映"


def test_signature_drops_repost_noise():
    assert signature_text("转发微博 //@小李: 工资没发[泪] https://t.cn/abc @老王") == "工资没发"


def test_simhash_close_for_copies_far_for_other_text():
    a = simhash(signature_text(ORIGINAL))
    b = simhash(signature_text("//@路人甲: 扩散！" + ORIGINAL))
    c = simhash(signature_text("今天三里屯太古里人好多，新开的咖啡店排队两小时，味道一般般，不推荐大家去凑热闹了"))
    assert hamming(a, b) <= 3
    assert hamming(a, c) > 10


def test_repost_storm_is_one_cluster_and_reingest_keeps_decisions(tmp_path):
    index = DedupeIndex(tmp_path / "d.db")
    storm = [post(1, ORIGINAL)] + [post(10 + i, f"//@用户{i}: 转发微博 {ORIGINAL}", minutes=i) for i in range(20)]
    other = post(99, "国贸写字楼保洁阿姨说物业公司今年的高温补贴到现在都没有发放，问了好几次都说再等等", minutes=5)
    batch = storm + [other]
    assert index.assign(batch) == 20
    assert all(p.dup_of == "weibo:1" for p in storm[1:])
    assert storm[0].dup_of is None and other.dup_of is None
    again = [p.model_copy(update={"dup_of": None}) for p in batch]
    index.assign(again)
    assert [p.dup_of for p in again] == [p.dup_of for p in batch]


def test_window_and_short_texts(tmp_path):
    index = DedupeIndex(tmp_path / "d.db", window_days=1)
    late = post(2, "转发 " + ORIGINAL, minutes=3 * 24 * 60)
    short_a, short_b, short_c = post(3, "顶！"), post(4, "顶"), post(5, "欠薪了")
    index.assign([post(1, ORIGINAL), late, short_a, short_b, short_c])
    assert late.dup_of is None  # outside the window: a new story
    assert short_b.dup_of == "weibo:3"  # same signature text exactly
    assert short_c.dup_of is None
