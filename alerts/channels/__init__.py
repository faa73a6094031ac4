"""Delivery channels: one small class per channel behind :class:`~yuqing.alerts.channels.base.Channel`.

    email.py     SMTP (settings.notify.smtp)
    wecom.py     企业微信群机器人 (WeCom group robot webhook)
    dingtalk.py  钉钉自定义机器人, signed (timestamp + HMAC-SHA256 of the secret)
    webhook.py   generic JSON webhook

A new channel is a new module with a subclass that sets ``name`` and implements ``send``; it is
registered by being imported here.
"""

from yuqing.alerts.channels import dingtalk, email, webhook, wecom  # noqa: F401 - registration
from yuqing.alerts.channels.base import Channel, DeliveryError, channel_for

__all__ = ["Channel", "DeliveryError", "channel_for"]
