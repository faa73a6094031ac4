"""Report attachments (photos, PDFs): the type is decided by the content, never the file name.

:func:`inspect` reads the bytes: ``filetype`` (magic numbers) names the type, which must be one
of ``reports.attachment_types`` (JPEG, PNG, GIF, WebP, HEIC, PDF); images must also decode
(Pillow ``verify``; HEIC, which Pillow cannot read, only by its ``ftyp`` box), a PDF must start
with ``%PDF-`` and end with ``%%EOF`` near its end — so a renamed executable, an HTML page with a
``.jpg`` name or a truncated upload is refused with the reason. Size is limited per file
(``reports.max_attachment_mb``) and per report (``reports.max_attachments``).

Files are stored under ``<data dir>/<reports.attachments_dir>/<report id>/<sha256>.<ext>``
(written to a temporary name and renamed, so a half-written file never shows); the console
serves them only to those who may read the report, with ``Content-Disposition`` and ``nosniff``.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import filetype
from PIL import Image, UnidentifiedImageError

if TYPE_CHECKING:
    from yuqing.pipeline.core.config import ReportSettings
    from yuqing.pipeline.core.context import Context

#: our kind → (filetype's extension, media type, file extension)
KINDS = {"jpeg": ("jpg", "image/jpeg", "jpg"), "png": ("png", "image/png", "png"), "gif": ("gif", "image/gif", "gif"),
         "webp": ("webp", "image/webp", "webp"), "heic": ("heic", "image/heic", "heic"),
         "pdf": ("pdf", "application/pdf", "pdf")}
_BY_EXTENSION = {ext: kind for kind, (ext, _m, _e) in KINDS.items()}
KIND_NAMES = {"jpeg": "JPEG 图片", "png": "PNG 图片", "gif": "GIF 图片", "webp": "WebP 图片", "heic": "HEIC 照片",
              "pdf": "PDF 文档"}
#: images a browser shows inline (HEIC and PDF are offered as downloads)
INLINE = {"jpeg", "png", "gif", "webp"}


class AttachmentError(ValueError):
    """A file that cannot be attached; the message names the file and says why (in Chinese)."""


@dataclass(frozen=True)
class Checked:
    filename: str
    kind: str
    media_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def clean_filename(name: str) -> str:
    """A name safe to show and to offer on download: no path, no control characters, ≤ 120 chars."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = re.sub(r"[\x00-\x1f\x7f\"<>|:*?]", "", name).strip(" .") or "附件"
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:110] + dot + ext[:8]) if dot else name[:120]
    return name


def _check_image(kind: str, data: bytes, shown: str) -> None:
    if kind == "heic":
        if data[4:8] != b"ftyp":
            raise AttachmentError(f"{shown}：HEIC 文件结构不完整")
        return
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise AttachmentError(f"{shown}：图片已损坏或不完整，无法读取（{type(exc).__name__}）") from exc


def _check_pdf(data: bytes, shown: str) -> None:
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-2048:]:
        raise AttachmentError(f"{shown}：PDF 文件不完整（缺少文件头或结尾标记）")


def inspect(filename: str, data: bytes, cfg: ReportSettings) -> Checked:
    """The file checked by its content, or :class:`AttachmentError` saying what is wrong."""
    shown = clean_filename(filename)
    limit = int(cfg.max_attachment_mb * 1024 * 1024)
    if not data:
        raise AttachmentError(f"{shown}：文件为空")
    if len(data) > limit:
        raise AttachmentError(f"{shown}：文件过大（{len(data) / 1048576:.1f} MB），每个附件不超过 {cfg.max_attachment_mb:g} MB")
    guess = filetype.guess(data[:8192])
    kind = _BY_EXTENSION.get(guess.extension) if guess else None
    allowed = "、".join(KIND_NAMES[k] for k in cfg.attachment_types)
    if kind is None or kind not in cfg.attachment_types:
        found = f"实际内容为 {guess.mime}" if guess else "无法识别文件内容"
        raise AttachmentError(f"{shown}：不支持的文件类型（{found}）；只接受 {allowed}")
    if kind == "pdf":
        _check_pdf(data, shown)
    else:
        _check_image(kind, data, shown)
    ext = KINDS[kind][2]
    if "." not in shown:
        shown = f"{shown}.{ext}"
    return Checked(shown, kind, KINDS[kind][1], data)


def attachments_root(ctx: Context) -> Path:
    return ctx.path(*Path(ctx.settings.reports.attachments_dir).parts)


def store(ctx: Context, report_id: int, checked: Checked) -> str:
    """Write the file (atomically); returns its stored name relative to the attachments root."""
    rel = f"{int(report_id)}/{checked.sha256}.{KINDS[checked.kind][2]}"
    path = attachments_root(ctx) / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(checked.data)
        tmp.replace(path)
    return rel


def path_of(ctx: Context, stored_name: str) -> Path:
    """The file of a stored name — which must stay inside the attachments root."""
    root = attachments_root(ctx).resolve()
    path = (root / stored_name).resolve()
    if not path.is_relative_to(root):
        raise AttachmentError(f"stored attachment name {stored_name!r} leaves {root}")
    return path


__all__ = ["AttachmentError", "Checked", "INLINE", "KINDS", "KIND_NAMES", "attachments_root", "clean_filename",
           "inspect", "path_of", "store"]
