"""Phone numbers, read with `phonenumbers` (Google's libphonenumber): the directory's spreadsheets write them every
way people do (0812-3456-7890, +62 812 3456 7890, 6281234567890), WhatsApp sends 6281234567890."""

from __future__ import annotations

import phonenumbers

_MOBILE = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}


def normalize_phone(raw: str) -> str | None:
    """6281234567890 (international digits, as WhatsApp names people) from any usual spelling of a mobile number;
    None if it is not one. A number starting with 0 is Indonesian; any other is read as international."""
    text = raw.strip()
    if not text.startswith(("+", "0")):
        text = "+" + text
    try:
        number = phonenumbers.parse(text, "ID")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) not in _MOBILE:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164).removeprefix("+")
