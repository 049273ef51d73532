"""Personal numbers (NIK, KKS card, phone) masked before they reach a log or the turn history (UU PDP 27/2022)."""

from __future__ import annotations

import re

# Eight or more digits, possibly split by spaces or dashes, optionally after "+": NIK (16 digits), KKS card
# numbers (16), bank accounts, phone numbers (+62 812-3456-7890). Amounts stay readable: they are shorter,
# written with dots (Rp10.000.000) or follow "Rp"; so do dates and ticket codes.
_PERSONAL_NUMBER = re.compile(r"(?<![Rr]p)(?<![Rr]p )(?<![\d.])\+?\d(?:[ \-]?\d){7,}")


def _mask(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    return "*" * (len(digits) - 3) + digits[-3:]


def mask_personal_numbers(text: str) -> str:
    return _PERSONAL_NUMBER.sub(_mask, text)
