"""The Word document (.docx) in the layout of a Chinese official bulletin (简报/公文, GB/T 9704):

* A4, margins 37 mm top, 35 mm bottom, 28 mm left, 26 mm right;
* masthead: the report's name in large red type, the issue line, then the issuing body on the left
  and the date on the right above a red rule;
* the title centred in 宋体 二号 bold; body 仿宋 三号 (16 pt) with a two-character first-line indent
  and fixed 28 pt line spacing; section headings 黑体 三号 numbered 一、二、…; second-level
  headings 楷体 （一）（二）…; tables and captions smaller;
* page numbers "— 1 —" in the footer; the distribution line (报送/抄送) at the end.

Font names are written for both the Latin and the East Asian slots (``w:eastAsia``) so Word and
WPS pick the Chinese faces.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from yuqing.pipeline.briefing.outline import Section, masthead

FANGSONG, HEITI, KAITI, SONGTI = "仿宋", "黑体", "楷体", "宋体"
RED = RGBColor(0xC0, 0x00, 0x00)
BODY_PT, TABLE_PT = 16, 10.5
TEXT_WIDTH_CM = 21.0 - 2.8 - 2.6


def set_font(run, name: str, size: float | None = None, bold: bool | None = None,
             color: RGBColor | None = None) -> None:
    """Set a run's font for Latin and East Asian text alike."""
    run.font.name = name
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)
    if size is not None:
        run.font.size = Pt(size)
    if bold is not None:
        run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color


def _spacing(par, *, exact_pt: float | None = 28, before: float = 0, after: float = 0,
             indent_chars: float = 0, align=None) -> None:
    fmt = par.paragraph_format
    if exact_pt:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(exact_pt)
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    if indent_chars:
        fmt.first_line_indent = Pt(BODY_PT * indent_chars)
    if align is not None:
        par.alignment = align


def _bottom_rule(par, color: str = "C00000", size: int = 12) -> None:
    ppr = par._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for k, v in (("w:val", "single"), ("w:sz", str(size)), ("w:space", "1"), ("w:color", color)):
        bottom.set(qn(k), v)
    borders.append(bottom)
    ppr.append(borders)


def _field(run, instr: str) -> None:
    """Append a Word field (e.g. ``PAGE``) to a run."""
    for kind, text in (("begin", None), ("instr", instr), ("separate", None), ("text", "1"), ("end", None)):
        if kind == "instr":
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        elif kind == "text":
            el = OxmlElement("w:t")
            el.text = text
        else:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        run._r.append(el)


def _hyperlink(par, url: str, text: str, size: float) -> None:
    rel = par.part.relate_to(url, "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink",
                             is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rel)
    run = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    fonts = OxmlElement("w:rFonts")
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia"):
        fonts.set(qn(attr), FANGSONG)
    rpr.append(fonts)
    color = OxmlElement("w:color")
    color.set(qn("w:val"), "1F4E79")
    rpr.append(color)
    underline = OxmlElement("w:u")
    underline.set(qn("w:val"), "single")
    rpr.append(underline)
    sz = OxmlElement("w:sz")
    sz.set(qn("w:val"), str(int(size * 2)))
    rpr.append(sz)
    run.append(rpr)
    t = OxmlElement("w:t")
    t.text = text
    t.set(qn("xml:space"), "preserve")
    run.append(t)
    link.append(run)
    par._p.append(link)


def _setup(doc) -> None:
    sec = doc.sections[0]
    sec.page_height, sec.page_width = Cm(29.7), Cm(21.0)
    sec.top_margin, sec.bottom_margin = Cm(3.7), Cm(3.5)
    sec.left_margin, sec.right_margin = Cm(2.8), Cm(2.6)
    normal = doc.styles["Normal"]
    normal.font.name = FANGSONG
    normal.font.size = Pt(BODY_PT)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FANGSONG)
    footer = sec.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for text in ("— ", None, " —"):
        run = footer.add_run(text or "")
        set_font(run, SONGTI, 14)
        if text is None:
            _field(run, "PAGE")


def _para(doc, text: str, lead: str | None = None, *, size: float = BODY_PT, indent: bool = True):
    par = doc.add_paragraph()
    _spacing(par, exact_pt=28 if size >= BODY_PT else size * 1.6, indent_chars=2 if indent else 0,
             align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    if lead:
        set_font(par.add_run(lead), KAITI if size >= BODY_PT else FANGSONG, size, bold=True)
    set_font(par.add_run(text), FANGSONG, size)
    return par


def _table(doc, headers: list[str], rows: list[list[str]], note: str | None,
           widths_cm: list[float] | None = None) -> None:
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    first = 4.2 if len(headers) > 4 else 5.0
    widths = [Cm(w) for w in widths_cm] if widths_cm else \
        [Cm(first)] + [Cm((TEXT_WIDTH_CM - first) / (len(headers) - 1))] * (len(headers) - 1)
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width  # the grid, which LibreOffice and WPS follow
    for cell, text, width in zip(table.rows[0].cells, headers, widths, strict=True):
        cell.width = width
        cell.text = ""
        p = cell.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        set_font(p.add_run(text), HEITI, TABLE_PT)
    for row in rows:
        cells = table.add_row().cells
        for i, (cell, text) in enumerate(zip(cells, row, strict=True)):
            cell.width = widths[i]
            p = cell.paragraphs[0]
            p.alignment = WD_ALIGN_PARAGRAPH.LEFT if i == 0 else WD_ALIGN_PARAGRAPH.CENTER
            set_font(p.add_run(text), FANGSONG, TABLE_PT)
    if note:
        par = doc.add_paragraph()
        _spacing(par, exact_pt=18)
        set_font(par.add_run("注：" + note), FANGSONG, TABLE_PT)
    else:
        doc.add_paragraph().paragraph_format.space_after = Pt(2)


def _image(doc, path: Path, caption: str, width_cm: float) -> None:
    doc.add_picture(str(path), width=Cm(width_cm))
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    par = doc.add_paragraph()
    _spacing(par, exact_pt=20, after=6, align=WD_ALIGN_PARAGRAPH.CENTER)
    set_font(par.add_run(caption), KAITI, 12)


def _links(doc, items: list[dict[str, Any]]) -> None:
    for i, item in enumerate(items, 1):
        par = doc.add_paragraph()
        _spacing(par, exact_pt=20, indent_chars=2)
        set_font(par.add_run(f"代表信息{i}：{item['time']}　{item['platform']}　"), FANGSONG, 12, bold=True)
        set_font(par.add_run(item["text"] + " "), FANGSONG, 12)
        if item.get("url"):
            _hyperlink(par, item["url"], "原文链接", 12)


def _line(doc, text: str, font: str, size: float, *, bold: bool | None = None, color: RGBColor | None = None,
          **spacing) -> Any:
    """A paragraph of one run of ``text`` (``spacing`` as for :func:`_spacing`)."""
    par = doc.add_paragraph()
    _spacing(par, **spacing)
    set_font(par.add_run(text), font, size, bold=bold, color=color)
    return par


def _masthead(doc, head: dict[str, str], issuer: str) -> None:
    """The report's name in red, the issue line, the issuer and date above a red rule."""
    centred = {"exact_pt": None, "after": 6, "align": WD_ALIGN_PARAGRAPH.CENTER}
    _line(doc, head["name"], SONGTI, 36, bold=True, color=RED, **centred)
    _line(doc, head["issue"], FANGSONG, BODY_PT, **centred)
    par = doc.add_paragraph()
    _spacing(par, exact_pt=None, after=18)
    par.paragraph_format.tab_stops.add_tab_stop(Cm(15.6), alignment=2)  # right tab
    set_font(par.add_run(issuer), FANGSONG, BODY_PT)
    set_font(par.add_run("\t" + head["generated_label"]), FANGSONG, BODY_PT)
    _bottom_rule(par)


def _block(doc, block: dict[str, Any], charts: dict[str, Path]) -> None:
    """One block of a section: a paragraph, sub-heading, numbered items, table, chart or links."""
    kind = block["kind"]
    if kind == "para":
        _para(doc, block["text"], block.get("lead"))
    elif kind == "sub":
        _line(doc, block["text"], KAITI, BODY_PT, bold=True, indent_chars=2)
    elif kind == "bullets":
        for i, item in enumerate(block["items"], 1):
            _para(doc, item, f"{i}. ")
    elif kind == "table":
        _table(doc, block["headers"], block["rows"], block.get("note"), block.get("widths_cm"))
    elif kind == "image" and block["name"] in charts:
        _image(doc, charts[block["name"]], block["caption"], block.get("width_cm", 15))
    elif kind == "links":
        _links(doc, block["items"])


def _closing(doc, period_label: str, generated: datetime) -> None:
    """The data note, then the distribution line (报送/抄送) between two black rules."""
    _para(doc, f"（本期数据时段：{period_label}；系统生成于{generated:%Y-%m-%d %H:%M}。"
               "文中引用的个人信息已作脱敏处理。）", size=12, indent=False)
    par = doc.add_paragraph()
    _spacing(par, exact_pt=None, before=24)
    _bottom_rule(par, color="000000", size=6)
    _line(doc, "报送：区总工会领导班子成员", FANGSONG, 14, exact_pt=24)
    par = _line(doc, "抄送：各街道（地区）工会、区总工会各部室", FANGSONG, 14, exact_pt=24)
    _bottom_rule(par, color="000000", size=6)


def write_docx(path: Path, data: dict[str, Any], outline: list[Section], charts: dict[str, Path],
               generated: datetime) -> Path:
    doc = Document()
    _setup(doc)
    head = masthead(data, generated)
    _masthead(doc, head, data["issuer"])
    _line(doc, head["title"], SONGTI, 22, bold=True, exact_pt=None, before=12, after=6,
          align=WD_ALIGN_PARAGRAPH.CENTER)
    _line(doc, f"（{data['period']['label']}）", KAITI, BODY_PT, exact_pt=None, after=12,
          align=WD_ALIGN_PARAGRAPH.CENTER)
    for section in outline:
        _line(doc, section.heading, HEITI, BODY_PT, before=6, indent_chars=2)
        for block in section.blocks:
            _block(doc, block, charts)
    _closing(doc, data["period"]["label"], generated)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path
