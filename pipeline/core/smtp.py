"""One way to open an SMTP session from ``notify.smtp`` settings (SSL, STARTTLS, login), shared by
the alert e-mail channel and the briefing mailer, which differ only in what they send and how
they report failures."""

from __future__ import annotations

import smtplib
import ssl

from yuqing.pipeline.core.config import SmtpSettings


def open_smtp(cfg: SmtpSettings, timeout: float | None = None) -> smtplib.SMTP:
    """A connected (and, with a username, logged-in) SMTP session; use it as a context manager."""
    timeout = cfg.timeout if timeout is None else timeout
    if cfg.ssl:
        server = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=timeout, context=ssl.create_default_context())
    else:
        server = smtplib.SMTP(cfg.host, cfg.port, timeout=timeout)
    try:
        if cfg.starttls and not cfg.ssl:
            server.starttls(context=ssl.create_default_context())
        if cfg.username:
            server.login(cfg.username, cfg.password or "")
    except BaseException:
        server.close()
        raise
    return server
