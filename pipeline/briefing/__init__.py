"""The weekly briefing (舆情周报): ``build_weekly`` turns a week of stored posts into a Word
document, an HTML page and Markdown, with charts, for the district or one unit's subtree.

Design
    :mod:`.period`    which week (``2026-W47``, ``latest``, or the last complete one) → local times.
    :mod:`.data`      every number, computed by the store's own queries (``aggregate``, ``count``,
                      ``search``/``iter_range``) and shaped with pandas, so the briefing agrees with
                      ``yuqing stats`` for the same week; events (clusters of related posts),
                      incidents from the alerts tables, rule-based observations.
    :mod:`.labels`    Chinese names: topics (``yuqing.pipeline.core.taxonomy``), units (``yuqing.pipeline.core.org``),
                      with id fallbacks while those are absent.
    :mod:`.masking`   phone and ID-card numbers in quoted posts are masked.
    :mod:`.charts`    matplotlib PNGs drawn with the Noto Sans CJK SC font file shipped by ``mplfonts``.
    :mod:`.outline`   the text, written once: numbered sections of blocks all three formats render.
    :mod:`.docx_writer` the Word document in the layout of Chinese official documents (公文):
                      title, issuing body, date, sections 一、二、…, 黑体 headings, 仿宋 body.
    :mod:`.render`    HTML and Markdown from Jinja2 templates (``templates/``).
    :mod:`.archive`   ``data_dir/briefings/<period>/`` with ``meta.json``; :func:`list_archive`.
    :mod:`.mail`      the briefing as an e-mail (SMTP settings ``notify.smtp``).
    :mod:`.build`     :func:`build_weekly` / :func:`build_daily` tie it together.
    :mod:`.cli`       ``yuqing briefing weekly|daily|list``.
"""

from yuqing.pipeline.briefing.archive import list_archive
from yuqing.pipeline.briefing.build import BriefingResult, build_daily, build_weekly

__all__ = ["BriefingResult", "build_daily", "build_weekly", "list_archive"]
