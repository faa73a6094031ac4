"""The post record: validation at the boundary names the line and the field, and goes on."""

import io
import json
from datetime import timedelta

from yuqing.pipeline.core.record import Post, Reject, read_jsonl


def _line(**overrides) -> str:
    rec = {"id": "weibo:100", "platform": "weibo", "source": "wb", "content": "欠薪三个月",
           "published_at": "2026-11-20T09:00:00+08:00"}
    rec.update(overrides)
    return json.dumps({k: v for k, v in rec.items() if v is not ...}, ensure_ascii=False)


def test_naive_time_is_shanghai_and_offset_kept():
    post = Post.model_validate_json(_line(published_at="2026-11-20 09:00:00"))
    assert post.published_at.utcoffset() == timedelta(hours=8)
    assert post.published_at.isoformat() == "2026-11-20T09:00:00+08:00"
    utc = Post.model_validate_json(_line(published_at="2026-11-20T01:00:00Z"))
    assert utc.published_at == post.published_at


def test_bad_lines_are_rejected_with_line_and_field_and_reading_goes_on():
    lines = [
        _line(),
        "{not json",
        _line(id="weibo:2", platform="forum"),
        _line(id="weibo:3", published_at="昨天"),
        _line(id="weibo:4", content="", title=""),
        _line(id="nothing"),
        _line(id="weibo:5", metrics={"likes": -1}),
        "[1, 2]",
        "",
        _line(id="weibo:6", extra_field=1),
        _line(id="weibo:7"),
    ]
    out = list(read_jsonl(io.StringIO("\n".join(lines))))
    posts = [r for r in out if isinstance(r, Post)]
    rejects = {r.line: r.reason for r in out if isinstance(r, Reject)}
    assert [p.id for p in posts] == ["weibo:100", "weibo:7"]
    assert "invalid JSON" in rejects[2]
    assert "platform" in rejects[3]
    assert rejects[4].startswith("published_at")
    assert "empty" in rejects[5]
    assert rejects[6].startswith("id")
    assert rejects[7].startswith("metrics.likes")
    assert "JSON object" in rejects[8]
    assert 9 not in rejects  # blank line is skipped, not rejected
    assert rejects[10].startswith("extra_field")


def test_non_utf8_line_is_rejected_not_fatal():
    data = _line().encode() + b"\n" + _line(id="weibo:8", content="公司拖欠工资，老板跑路了").encode("gbk") + b"\n" + _line(id="weibo:9").encode() + b"\n"
    out = list(read_jsonl(io.BytesIO(data)))
    assert isinstance(out[1], Reject) and "UTF-8" in out[1].reason and out[1].line == 2
    assert isinstance(out[2], Post)


def test_round_trip_and_cluster():
    post = Post.model_validate_json(_line(dup_of="weibo:1", topics=["wage_arrears"],
                                          sentiment={"label": "negative", "scores": {"negative": 0.9}}))
    again = Post.model_validate_json(post.to_json())
    assert again == post
    assert post.cluster == "weibo:1"
    assert Post.model_validate_json(_line()).cluster == "weibo:100"
