"""HTML fragments to the plain text a post record carries.

* ``<br>``, block elements and ``<p>`` become line breaks; runs of blank lines collapse;
* emoji images keep their meaning: ``<img alt="[心]">`` → ``[心]`` (Weibo, Tieba, Discuz smilies);
* scripts, styles and the elements a caller names (login tips, "edited by" stamps) are dropped;
* entities are decoded, non-breaking and zero-width spaces normalised.
"""

from __future__ import annotations

import re

from parsel import Selector

_BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "blockquote",
          "table", "ul", "ol", "pre", "hr", "dd", "dt"}
_WS = re.compile(r"[ \t\r\n\f]+")
_DROP = {"script", "style", "noscript", "template", "iframe", "head", "title"}


def html_to_text(fragment: str, drop_css: tuple[str, ...] = ()) -> str:
    """Plain text of an HTML fragment (see the module docstring)."""
    if not fragment or not fragment.strip():
        return ""
    sel = Selector(text=f"<div id='__root'>{fragment}</div>")
    root = sel.css("#__root")
    if not root:
        return _clean(re.sub(r"<[^>]+>", "", fragment))
    return node_text(root[0], drop_css)


def node_text(sel: Selector, drop_css: tuple[str, ...] = ()) -> str:
    """Plain text of an element already selected from a page."""
    root = sel.root
    dropped = set()
    for css in drop_css:
        for node in sel.css(css):
            dropped.add(node.root)
    parts: list[str] = []
    _walk(root, parts, dropped)
    return _clean("".join(parts))


def _ws(text: str | None, pre: bool) -> str:
    """Whitespace as a browser renders it: runs (newlines included) are one space, except in <pre>."""
    if not text:
        return ""
    return text if pre else _WS.sub(" ", text)


def _walk(node, parts: list[str], dropped: set, pre: bool = False) -> None:
    tag = node.tag if isinstance(node.tag, str) else ""
    tag = tag.lower()
    if node in dropped or tag in _DROP:
        parts.append(_ws(node.tail, pre))
        return
    if tag == "img":
        alt = (node.get("alt") or "").strip()
        if alt and (alt.startswith("[") or len(alt) <= 4) and alt not in ("attach_img", "agree"):
            parts.append(alt)
    elif tag == "br":
        parts.append("\n")
    elif tag in _BLOCK:
        parts.append("\x00")
    inner_pre = pre or tag == "pre"
    if node.text and isinstance(node.tag, str):
        parts.append(_ws(node.text, inner_pre))
    for child in node:
        _walk(child, parts, dropped, inner_pre)
    if tag in _BLOCK and tag != "br":
        parts.append("\x00")
    parts.append(_ws(node.tail, pre))


def _clean(text: str) -> str:
    text = re.sub(r"[ \t]*\x00[\x00 \t]*", "\n", text)  # block boundaries: one line break
    text = text.replace("\xa0", " ").replace("\u200b", "").replace("\ufeff", "").replace("\r", "")
    lines = [re.sub(r"[ \t\u3000]+", " ", line).strip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    return "\n".join(out).strip()
