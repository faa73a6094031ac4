"""Masking personal data in quoted posts: mobile and landline numbers, ID-card numbers, bank
card numbers and e-mail addresses. Applied to every piece of post text a briefing quotes."""

from __future__ import annotations

import re

# 18-digit resident ID (last may be X), checked before phone numbers since it contains digit runs
_ID_CARD = re.compile(r"(?<![0-9A-Za-z])([1-9]\d{5})(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}([0-9Xx])(?![0-9A-Za-z])")
_BANK = re.compile(r"(?<!\d)(\d{4})(?:[ -]?\d{4}){2,3}(?:[ -]?\d{1,3})?(?!\d)")
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3})[- ]?(\d{3,4})(\d{4})(?!\d)")
_EMAIL = re.compile(r"\b([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})\b")


def mask_personal(text: str) -> str:
    """``13812345678`` → ``138****5678``; ``110105199003071234`` → ``110105********1234``."""
    if not text:
        return text
    text = _ID_CARD.sub(lambda m: m[0][:6] + "*" * 8 + m[0][-4:], text)
    text = _MOBILE.sub(lambda m: f"{m[1]}****{m[3]}", text)
    text = _BANK.sub(lambda m: m[1] + " **** **** " + re.sub(r"\D", "", m[0])[-4:], text)
    text = _LANDLINE.sub(lambda m: f"{m[1]}-****{m[3]}", text)
    text = _EMAIL.sub(lambda m: f"{m[1]}***@{m[2]}", text)
    return text
