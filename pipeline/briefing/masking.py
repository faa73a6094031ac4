"""Masking personal data in quoted posts: mobile and landline numbers, ID-card numbers, bank
card numbers and e-mail addresses. Applied to every piece of post text a briefing quotes. The
patterns live in :mod:`yuqing.pipeline.core.privacy` (grassroots reports mask with them too)."""

from yuqing.pipeline.core.privacy import mask_personal

__all__ = ["mask_personal"]
