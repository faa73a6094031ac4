"""Mailing a briefing: a short plain-text + HTML body (the headline and the observations) with the
.docx and the self-contained .html attached, over the SMTP server in ``notify.smtp``."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, select_autoescape

from yuqing.pipeline.core.smtp import open_smtp

if TYPE_CHECKING:
    from yuqing.pipeline.core.config import SmtpSettings

_BODY = Environment(autoescape=select_autoescape(default=True)).from_string(
    "<p>{{ head }}</p><p><b>研判与建议</b></p><ol>{% for x in items %}<li>{{ x }}</li>{% endfor %}</ol>"
    "<p>完整周报见附件（Word 与 HTML 版）。</p>")


class MailError(Exception):
    """The SMTP server refused or could not be reached; says which server and why."""


def compose(sender: str, recipients: list[str], subject: str, data: dict[str, Any],
            attachments: dict[str, Path]) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=sender.split("@")[-1] or "yuqing.local")
    obs = data["observations"]
    items = obs["findings"] + obs["advice"]
    text = data["overview"]["headline"] + "\n\n研判与建议：\n" + "\n".join(
        f"{i}. {x}" for i, x in enumerate(items, 1)) + "\n\n完整周报见附件（Word 与 HTML 版）。\n"
    msg.set_content(text)
    msg.add_alternative(_BODY.render(head=data["overview"]["headline"], items=items), subtype="html")
    types = {".docx": ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document"),
             ".html": ("text", "html"), ".md": ("text", "markdown")}
    for filename, path in attachments.items():
        maintype, subtype = types.get(path.suffix, ("application", "octet-stream"))
        msg.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype, filename=filename)
    return msg


def send(smtp: SmtpSettings, msg: EmailMessage) -> None:
    where = f"SMTP {smtp.host}:{smtp.port}"
    try:
        with open_smtp(smtp) as server:
            refused = server.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"{where}: {exc}") from exc
    if refused:
        raise MailError(f"{where} refused recipients: {', '.join(refused)}")
