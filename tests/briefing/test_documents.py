"""What the briefing documents contain: the six sections with real content, the official layout
of the .docx, charts drawn with a CJK font, personal data masked, the archive and the CLI."""

from __future__ import annotations

import json
import warnings
import zipfile

import pytest
from click.testing import CliRunner
from docx import Document
from docx.oxml.ns import qn
from PIL import Image

from tests.briefing.conftest import WEEK, fill
from yuqing.pipeline.briefing import build_weekly, list_archive
from yuqing.pipeline.briefing import charts as charts_mod
from yuqing.pipeline.briefing.build import BriefingError, resolve_week
from yuqing.pipeline.briefing.masking import mask_personal
from yuqing.pipeline.briefing.period import parse_week
from yuqing.pipeline.cli.main import main

SECTIONS = ["一、本周概况", "二、话题分布与走势", "三、各", "四、重点舆情", "五、预警处置", "六、信息报送", "七、研判与建议"]
RAW_PII = ["13812345678", "13912345678", "110105199003071234"]


def _cli(context, *args):
    return CliRunner().invoke(main, ["--config-dir", str(context.config_dir), "--data-dir", str(context.data_dir),
                                     *args])


@pytest.fixture
def built(ctx):
    fill(ctx)
    return build_weekly(ctx, WEEK)


def test_docx_has_the_official_layout_and_every_section(built):
    doc = Document(str(built.paths["docx"]))
    texts = [p.text for p in doc.paragraphs]
    heads = [t for t in texts if any(t.startswith(s) for s in SECTIONS)]
    assert len(heads) == 7 and [h[:2] for h in heads] == ["一、", "二、", "三、", "四、", "五、", "六、", "七、"]
    assert texts[0] == "舆情周报" and "2026年第47期" in texts[1]
    assert "朝阳区总工会" in texts[2] and "年" in texts[2]          # issuing body and date
    assert any(t.endswith("网络舆情周报") for t in texts[3:5])
    # each section has content before the next heading
    idx = [texts.index(h) for h in heads] + [len(texts)]
    for a, b in zip(idx, idx[1:], strict=False):
        assert any(t.strip() for t in texts[a + 1:b]), texts[a]
    # fonts: 黑体 section headings, 仿宋 body, both with the East Asian slot set
    head_run = doc.paragraphs[texts.index(heads[0])].runs[0]
    assert head_run._element.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"
    body = next(p for p in doc.paragraphs if p.text.startswith("总体情况。"))
    assert body.runs[-1]._element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋"
    sec = doc.sections[0]
    assert round(sec.top_margin.cm, 1) == 3.7 and round(sec.left_margin.cm, 1) == 2.8
    assert len(doc.inline_shapes) >= 3            # charts embedded
    assert len(doc.tables) >= 3                   # overview, topics, units
    with zipfile.ZipFile(built.paths["docx"]) as z:
        xml = z.read("word/document.xml").decode("utf-8")
        footer = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("word/footer"))
    assert "PAGE" in footer                        # page numbers
    assert "w:hyperlink" in xml                    # links to representative posts
    for pii in RAW_PII:
        assert pii not in xml


def test_html_and_markdown_carry_the_same_sections_with_masked_quotes(built):
    html = built.paths["html"].read_text(encoding="utf-8")
    md = built.paths["md"].read_text(encoding="utf-8")
    for s in SECTIONS:
        assert s in html and s in md
    assert html.count("data:image/png;base64,") >= 3
    assert md.count("](charts/") >= 3 and all((built.out_dir / "charts" / f).exists()
                                              for f in ("trend.png", "topics.png", "units.png"))
    assert 'href="https://weibo.example/' in html
    assert "139****5678" in html                 # the top event's phone number, masked
    assert r"139\*\*\*\*5678" in md          # escaped: the stars stay stars in Markdown
    for pii in RAW_PII:
        assert pii not in html and pii not in md
        assert pii not in built.paths["json"].read_text(encoding="utf-8")
    assert "望京SOHO附近工地数十名工人聚集讨薪" in html       # the repost storm is the top event
    events = built.data["events"]
    assert events[0]["posts"] == 12 and events[0]["clusters"] == 1
    assert "wage_arrears" in [t["topic"] for t in built.data["topics"][:1]]
    assert any("升温" in f for f in built.data["observations"]["findings"])


def test_charts_render_chinese_with_the_registered_font(built, tmp_path):
    path = charts_mod.cjk_font_file()
    from matplotlib.ft2font import FT2Font

    font = FT2Font(str(path))
    assert all(font.get_char_index(ord(c)) for c in "舆情周报话题负面信息量")
    assert charts_mod.cjk_family() == "Noto Sans CJK SC"
    with warnings.catch_warnings():
        warnings.simplefilter("error")             # "Glyph ... missing from font" would raise
        drawn = charts_mod.draw_all(built.data, tmp_path / "charts")
    for p in drawn.values():
        with Image.open(p) as im:
            assert im.format == "PNG" and im.size[0] >= 500


def test_archive_list_and_cli(ctx, tmp_path):
    fill(ctx)
    result = _cli(ctx, "briefing", "weekly", "--week", "latest", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["period"] == WEEK and out["overview"]["posts"] > 0
    assert (ctx.data_dir / "briefings" / WEEK / f"briefing-{WEEK}.docx").exists()
    items = list_archive(ctx)
    assert [i["period"] for i in items] == [WEEK]
    listed = _cli(ctx, "briefing", "list", "--json")
    assert json.loads(listed.output)[0]["posts"] == out["overview"]["posts"]
    # --out writes elsewhere and leaves the archive alone
    other = _cli(ctx, "briefing", "weekly", "--week", "2026-W46", "--out", str(tmp_path / "elsewhere"))
    assert other.exit_code == 0, other.output
    assert (tmp_path / "elsewhere" / "briefing-2026-W46.docx").exists()
    bad = _cli(ctx, "briefing", "weekly", "--week", "2026-47")
    assert bad.exit_code != 0 and "YYYY-Www" in bad.output


def test_an_empty_week_still_gives_a_complete_briefing(ctx):
    result = build_weekly(ctx, "2026-W10")
    assert result.data["overview"]["posts"] == 0
    html = result.paths["html"].read_text(encoding="utf-8")
    assert all(s in html for s in SECTIONS) and "未监测到" in html


def test_periods():
    from yuqing.pipeline.core.record import SHANGHAI

    p = parse_week("2026-W47", SHANGHAI)
    assert p.start.isoformat() == "2026-11-16T00:00:00+08:00" and p.end.isoformat() == "2026-11-23T00:00:00+08:00"
    assert p.previous().key == "2026-W46" and p.label == "2026年第47周（11月16日—11月22日）"
    assert parse_week("2021-W01", SHANGHAI).start.date().isoformat() == "2021-01-04"
    with pytest.raises(ValueError, match="has no week 53"):
        parse_week("2025-W53", SHANGHAI)


def test_default_week_is_the_last_complete_one(ctx):
    from datetime import datetime

    from yuqing.pipeline.core.record import SHANGHAI

    assert resolve_week(ctx, None, datetime(2026, 11, 23, 8, 0, tzinfo=SHANGHAI)).key == "2026-W47"
    assert resolve_week(ctx, None, datetime(2026, 11, 29, 23, 0, tzinfo=SHANGHAI)).key == "2026-W47"
    with pytest.raises(BriefingError, match="no posts"):
        resolve_week(ctx, "latest")


@pytest.mark.parametrize("text, masked", [
    ("电话13812345678找我", "电话138****5678找我"),
    ("手机 138-1234-5678", "手机 138****5678"),
    ("身份证110105199003071234，", "身份证110105********1234，"),
    ("身份证11010519900307123X", "身份证110105********123X"),
    ("座机010-85382896", "座机010-****2896"),
    ("邮箱 zhangsan@qq.com", "邮箱 z***@qq.com"),
    ("2026年11月23日欠薪3000元，订单号20261123", "2026年11月23日欠薪3000元，订单号20261123"),
])
def test_mask_personal(text, masked):
    assert mask_personal(text) == masked


def test_daily_digest(ctx):
    fill(ctx)
    result = _cli(ctx, "briefing", "daily", "--day", "2026-11-21", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    data = json.loads((ctx.data_dir / "briefings" / "2026-11-21" / "data.json").read_text(encoding="utf-8"))
    assert out["period"] == "2026-11-21" and len(data["daily"]["posts"]) == 24
    assert sum(data["daily"]["posts"]) == data["overview"]["posts"] > 0
    doc = Document(out["files"]["docx"])
    assert doc.paragraphs[0].text == "舆情日报" and any(p.text.startswith("七、") for p in doc.paragraphs)


def test_unit_briefing_covers_the_units_subtree(ctx):
    fill(ctx)
    result = _cli(ctx, "briefing", "weekly", "--week", WEEK, "--unit", "jd-wangjing", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["dir"].endswith(f"{WEEK}-jd-wangjing")
    data = json.loads((ctx.data_dir / "briefings" / f"{WEEK}-jd-wangjing" / "data.json").read_text(encoding="utf-8"))
    assert data["scope_name"] == "望京街道总工会" and data["units"]["level_name"] == "社区（村）"
    html = (ctx.data_dir / "briefings" / f"{WEEK}-jd-wangjing" / f"briefing-{WEEK}-jd-wangjing.html").read_text("utf-8")
    assert "望京街道总工会网络舆情周报" in html
    bad = _cli(ctx, "briefing", "weekly", "--week", WEEK, "--unit", "no-such-unit")
    assert bad.exit_code != 0 and "not in org.yaml" in bad.output
