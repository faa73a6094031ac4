"""Near-duplicates: reposts and copies join the first post's cluster; different stories do not."""

import json
import random
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from yuqing.pipeline.core.record import Post
from yuqing.pipeline.dedupe import DedupeIndex, band_keys, jaccard, minhash_batch, signature_text

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone(timedelta(hours=8)))
CORPUS = Path(__file__).resolve().parents[2] / "data" / "corpus"


def post(i, text: str, minutes: float = 0) -> Post:
    return Post(id=f"weibo:{i}", platform="weibo", source="t", content=text,
                published_at=T0 + timedelta(minutes=minutes))


ORIGINAL = "望京SOHO附近的鑫达建筑劳务公司拖欠我们三十多个工人的工资已经三个月了，老板电话打不通，大家准备去劳动监察大队反映"
OTHER = "国贸写字楼保洁阿姨说物业公司今年的高温补贴到现在都没有发放，问了好几次都说再等等"


def shingles(t: str) -> set[str]:
    return {t[i:i + 3] for i in range(len(t) - 2)}


def true_jaccard(a: str, b: str) -> float:
    sa, sb = shingles(signature_text(a)), shingles(signature_text(b))
    return len(sa & sb) / len(sa | sb)


@pytest.fixture(scope="module")
def corpus() -> list[str]:
    texts = [json.loads(line)["content"] for f in sorted(CORPUS.glob("*.jsonl"))
             for line in f.open(encoding="utf-8")]
    assert len(texts) > 3000, "data/corpus is part of the repository"
    return texts


def edit(rng: random.Random, text: str, n: int) -> str:
    """``n`` single-character substitutions at random positions of the signature text's characters."""
    chars = list(text)
    word_at = [i for i, c in enumerate(chars) if signature_text(c)]
    for i in rng.sample(word_at, n):
        chars[i] = "好" if chars[i] != "好" else "坏"
    return "".join(chars)


NOISE = [
    lambda t: "扩散！" + t,
    lambda t: "//@打工人小王: 转发微博 " + t,
    lambda t: t + " [怒][怒] https://t.cn/A6xYz9Qp @朝阳区人社局",
    lambda t: "#欠薪# " + t + "！！！",
]


def recall(tmp_path, originals: list[str], copies: list[str]) -> float:
    index = DedupeIndex(tmp_path / "recall.db")
    first = [post(f"o{i}", t) for i, t in enumerate(originals)]
    index.assign(first)
    later = [post(f"c{i}", t, minutes=60 + i) for i, t in enumerate(copies)]
    index.assign(later)
    return sum(c.dup_of == o.cluster for o, c in zip(first, later, strict=True)) / len(later)


def test_signature_drops_repost_noise():
    assert signature_text("转发微博 //@小李: 工资没发[泪] https://t.cn/abc @老王") == "工资没发"


def test_minhash_estimates_jaccard(corpus):
    rng = random.Random(7)
    texts = [t for t in rng.sample(corpus, 400) if len(signature_text(t)) >= 40][:150]
    edited = [edit(rng, t, 2) for t in texts]
    sigs = minhash_batch([signature_text(t) for t in texts + edited])
    errors = [jaccard(sigs[i], sigs[len(texts) + i]) - true_jaccard(t, e) for i, (t, e) in enumerate(zip(texts, edited, strict=True))]
    assert abs(sum(errors) / len(errors)) < 0.02  # unbiased
    assert max(map(abs, errors)) < 0.25  # 64 permutations: sd ≈ 0.05
    # a batch gives the same signatures as one text at a time (no shingles across texts)
    single = minhash_batch([signature_text(texts[3])])[0]
    assert (single == sigs[3]).all()
    assert jaccard(sigs[0], sigs[0]) == 1.0


@pytest.mark.parametrize("edits, min_len, floor", [(1, 30, 0.95), (2, 60, 0.95), (3, 100, 0.9)])
def test_small_edits_are_found(tmp_path, corpus, edits, min_len, floor):
    rng = random.Random(edits)
    pool = [t for t in corpus if len(signature_text(t)) >= min_len]
    originals = rng.sample(pool, 200)
    assert recall(tmp_path, originals, [edit(rng, t, edits) for t in originals]) >= floor


def test_prefixes_and_repost_noise_are_found(tmp_path, corpus):
    rng = random.Random(3)
    originals = rng.sample([t for t in corpus if len(signature_text(t)) >= 30], 200)
    copies = [NOISE[i % len(NOISE)](t) for i, t in enumerate(originals)]
    assert recall(tmp_path, originals, copies) >= 0.97


def test_different_posts_are_not_merged(tmp_path, corpus):
    rng = random.Random(11)
    long = [t for t in corpus if len(signature_text(t)) >= 16]
    sigs = minhash_batch([signature_text(t) for t in long])
    pairs = [rng.sample(range(len(long)), 2) for _ in range(3000)]
    assert max(jaccard(sigs[a], sigs[b]) for a, b in pairs) < 0.7
    # the whole corpus through the index: a hand-written corpus without copies stays (almost) apart,
    # and any pair it does merge really shares most of its text
    posts = [post(i, t, minutes=i / 100) for i, t in enumerate(corpus)]
    DedupeIndex(tmp_path / "d.db").assign(posts)
    merged = [p for p in posts if p.dup_of]
    by_id = {p.id: p for p in posts}
    assert len(merged) < 0.01 * len(posts)
    for p in merged:
        assert by_id[p.dup_of].dup_of is None
        assert p.text == by_id[p.dup_of].text or true_jaccard(p.text, by_id[p.dup_of].text) >= 0.5


def test_repost_storm_is_one_cluster_and_reingest_keeps_decisions(tmp_path):
    index = DedupeIndex(tmp_path / "d.db")
    storm = [post(1, ORIGINAL)] + [post(10 + i, f"//@用户{i}: 转发微博 {ORIGINAL}", minutes=i) for i in range(20)]
    other = post(99, OTHER, minutes=5)
    batch = storm + [other]
    assert index.assign(batch) == 20
    assert all(p.dup_of == "weibo:1" for p in storm[1:])
    assert storm[0].dup_of is None and other.dup_of is None
    index.close()
    index = DedupeIndex(tmp_path / "d.db")  # decisions persist in the file
    again = [p.model_copy(update={"dup_of": None}) for p in reversed(batch)]
    assert index.assign(again) == 20
    assert {p.id: p.dup_of for p in again} == {p.id: p.dup_of for p in batch}


def test_batch_internal_duplicates_take_the_earliest_as_root(tmp_path):
    index = DedupeIndex(tmp_path / "d.db")
    # the repost arrives first in the batch but was published later: the original is still the root
    repost, original = post(2, "扩散！" + ORIGINAL, minutes=30), post(1, ORIGINAL, minutes=0)
    same_id_twice = post(2, "扩散！" + ORIGINAL, minutes=30)
    assert index.assign([repost, post(3, OTHER, minutes=1), original, same_id_twice]) == 2
    assert repost.dup_of == "weibo:1" and same_id_twice.dup_of == "weibo:1" and original.dup_of is None


def test_root_never_chains(tmp_path, corpus):
    # A ≈ B ≈ C with A and C too far apart to match each other directly
    # (true J: A~B ≈ B~C ≈ 0.77, A~C ≈ 0.59; take the first text whose estimates agree)
    for text in (signature_text(t) for t in corpus):
        if len(text) >= 150:
            a, b, c = text[:120], text[15:135], text[30:150]
            sa, sb, sc = minhash_batch([a, b, c])
            if jaccard(sa, sb) >= 0.7 and jaccard(sb, sc) >= 0.7 and jaccard(sa, sc) < 0.7:
                break
    else:
        pytest.fail("no corpus text of 150+ characters")
    index = DedupeIndex(tmp_path / "d.db")
    pa, pb, pc = post(1, a), post(2, b, minutes=10), post(3, c, minutes=20)
    index.assign([pa])
    index.assign([pb])
    index.assign([pc])
    assert pb.dup_of == "weibo:1" and pc.dup_of == "weibo:1"
    # the same in one batch
    index = DedupeIndex(tmp_path / "e.db")
    batch = [post(1, a), post(2, b, minutes=10), post(3, c, minutes=20)]
    index.assign(batch)
    assert [p.dup_of for p in batch] == [None, "weibo:1", "weibo:1"]


def test_window_and_short_texts(tmp_path):
    index = DedupeIndex(tmp_path / "d.db", window_days=1)
    late = post(2, "转发 " + ORIGINAL, minutes=3 * 24 * 60)
    short_a, short_b, short_c = post(3, "顶！"), post(4, "顶"), post(5, "欠薪了")
    index.assign([post(1, ORIGINAL), late, short_a, short_b, short_c])
    assert late.dup_of is None  # outside the window: a new story
    assert short_b.dup_of == "weibo:3"  # same signature text exactly
    assert short_c.dup_of is None
    # later copies join the newer story; a short text seen again after the window starts a new one
    later_copy = post(6, ORIGINAL + "！", minutes=3 * 24 * 60 + 5)
    short_late, short_later = post(7, "顶顶", minutes=2000), post(8, "顶……顶", minutes=2010)
    index.assign([later_copy, short_late])
    index.assign([short_later, post(9, "顶", minutes=4 * 24 * 60)])
    assert later_copy.dup_of == "weibo:2"
    assert short_late.dup_of is None and short_later.dup_of == "weibo:7"


def test_near_duplicate_needs_enough_shared_text(tmp_path):
    index = DedupeIndex(tmp_path / "d.db", min_jaccard=0.95)
    a, b = post(1, ORIGINAL), post(2, ORIGINAL.replace("三十多个", "四十多个"), minutes=1)
    index.assign([a, b])
    assert b.dup_of is None  # J ≈ 0.8 < 0.95
    assert true_jaccard(a.text, b.text) < 0.95


def test_simhash_era_index_keeps_its_decisions(tmp_path):
    path = tmp_path / "d.db"
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE sigs (id TEXT PRIMARY KEY, simhash INTEGER, published INTEGER NOT NULL, root TEXT NOT NULL);
        CREATE TABLE bands (key INTEGER NOT NULL, id TEXT NOT NULL);
        INSERT INTO sigs VALUES ('weibo:1', 5, 0, 'weibo:1'), ('weibo:2', 7, 0, 'weibo:1');
    """)
    db.close()
    index = DedupeIndex(path)
    again = post(2, OTHER)
    assert index.assign([again]) == 1 and again.dup_of == "weibo:1"


def test_other_writers_and_moving_windows_are_seen(tmp_path):
    a, b = DedupeIndex(tmp_path / "d.db", window_days=1), DedupeIndex(tmp_path / "d.db", window_days=1)
    a.assign([post(1, OTHER)])  # a holds the window in memory now
    b.assign([post(2, ORIGINAL, minutes=1)])  # another process adds a post
    copy = post(3, "扩散！" + ORIGINAL, minutes=2)
    assert a.assign([copy]) == 1 and copy.dup_of == "weibo:2"
    # a batch ten days later moves the window away; an old batch afterwards finds its matches again
    a.assign([post(4, "十天以后的另一件事情，和前面的帖子都没有关系，只是为了让窗口移动", minutes=10 * 24 * 60)])
    late = post(5, ORIGINAL + "！！", minutes=30)
    assert a.assign([late]) == 1 and late.dup_of == "weibo:2"
    # a window held partly: the part before it is read when a batch needs it
    day = 24 * 60
    a.assign([post(6, OTHER + "，三天后又说了一遍还是没有发放", minutes=3 * day)])
    a.assign([post(7, "五天以后的另一件事情，和前面的帖子都没有关系，只是为了让窗口移动", minutes=5 * day)])
    again = post(8, "扩散！" + OTHER + "，三天后又说了一遍还是没有发放", minutes=3.5 * day)
    assert a.assign([again]) == 1 and again.dup_of == "weibo:6"


def test_index_with_band_rows_on_disk_is_migrated(tmp_path):
    path = tmp_path / "d.db"
    index = DedupeIndex(path)
    index.assign([post(1, ORIGINAL)])
    index.close()
    # the band rows an earlier version kept: weibo:1 indexed, weibo:2 (an exact repost) not
    db = sqlite3.connect(path)
    sig = db.execute("SELECT sig FROM posts WHERE id = 'weibo:1'").fetchone()[0]
    keys = band_keys(np.frombuffer(sig, dtype=np.uint32).reshape(1, -1))[0]
    db.executescript("CREATE TABLE lsh (key INTEGER NOT NULL, rid INTEGER NOT NULL, PRIMARY KEY (key, rid)) WITHOUT ROWID")
    db.executemany("INSERT INTO lsh VALUES (?, 1)", [(int(k),) for k in keys])
    db.execute("INSERT INTO posts VALUES (2, 'weibo:2', 0, 'weibo:1', ?)", (sig,))
    db.commit()
    db.close()
    index = DedupeIndex(path)
    copy = post(3, "扩散！" + ORIGINAL, minutes=5)
    assert index.assign([copy]) == 1 and copy.dup_of == "weibo:1"
    tables = {r[0] for r in index.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "lsh" not in tables
    assert index.db.execute("SELECT sig FROM posts WHERE id = 'weibo:2'").fetchone()[0] is None
