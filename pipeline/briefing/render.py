"""HTML (Jinja2 template ``templates/briefing.html.j2``) and Markdown renderings of a briefing outline.

The HTML file is self-contained (charts inlined as data URIs) so it can be mailed or opened on
its own; the Markdown links the PNGs next to it in ``charts/``.
"""

from __future__ import annotations

import base64
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from yuqing.pipeline.briefing.outline import Section, masthead


def _md_escape(text: Any) -> str:
    """Keep table cells and quoted posts from breaking Markdown structure."""
    return re.sub(r"([|*_`\[\]<>#])", r"\\\1", str(text)).replace("\n", " ")


_env = Environment(loader=PackageLoader("yuqing.pipeline.briefing", "templates"),
                   autoescape=select_autoescape(["html", "html.j2"]), trim_blocks=True, lstrip_blocks=True,
                   keep_trailing_newline=True)


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def write_html(path: Path, data: dict[str, Any], outline: list[Section], charts: dict[str, Path],
               generated: datetime) -> Path:
    html = _env.get_template("briefing.html.j2").render(
        data=data, outline=outline, images={k: _data_uri(p) for k, p in charts.items()},
        **masthead(data, generated))
    path.write_text(html, encoding="utf-8")
    return path


def _md_block(b: dict[str, Any], images: dict[str, str]) -> list[str]:
    kind = b["kind"]
    if kind == "para":
        return [(f"**{b['lead']}**" if b.get("lead") else "") + _md_escape(b["text"])]
    if kind == "sub":
        return [f"### {_md_escape(b['text'])}"]
    if kind == "bullets":
        return ["\n".join(f"{i}. {_md_escape(x)}" for i, x in enumerate(b["items"], 1))]
    if kind == "table":
        lines = ["| " + " | ".join(b["headers"]) + " |",
                 "|" + "|".join(" --- " if i == 0 else " ---: " for i in range(len(b["headers"]))) + "|"]
        lines += ["| " + " | ".join(_md_escape(c) for c in row) + " |" for row in b["rows"]]
        out = ["\n".join(lines)]
        return out + ([f"注：{b['note']}"] if b.get("note") else [])
    if kind == "image" and b["name"] in images:
        return [f"![{b['caption']}]({images[b['name']]})", f"*{b['caption']}*"]
    if kind == "links":
        return ["\n".join(f"- {x['time']}　{x['platform']}　{_md_escape(x['text'])}"
                          + (f" [原文链接]({x['url']})" if x.get("url") else "") for x in b["items"])]
    return []


def write_markdown(path: Path, data: dict[str, Any], outline: list[Section], charts: dict[str, Path],
                   generated: datetime) -> Path:
    """Markdown with the charts linked relative to the file (``charts/*.png``)."""
    images = {k: p.relative_to(path.parent).as_posix() if p.is_relative_to(path.parent) else p.as_posix()
              for k, p in charts.items()}
    head = masthead(data, generated)
    parts = [f"# {head['title']}",
             f"**{head['name']}**　{head['issue']}　｜　{data['issuer']}　｜　{head['generated_label']}",
             f"（{data['period']['label']}）"]
    for section in outline:
        parts.append(f"## {section.heading}")
        for block in section.blocks:
            parts += _md_block(block, images)
    parts += ["---", f"（本期数据时段：{data['period']['label']}；系统生成于{head['generated']}。"
              "文中引用的个人信息已作脱敏处理。）",
              "报送：区总工会领导班子成员　抄送：各街道（地区）工会、区总工会各部室"]
    path.write_text("\n\n".join(parts) + "\n", encoding="utf-8")
    return path
