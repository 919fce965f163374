"""Phone numbers as list views show them: the first five and last four digits (91987•••3210)."""

from __future__ import annotations


def mask_phone(phone: str) -> str:
    digits = phone.lstrip("+")
    if len(digits) <= 9:
        return "•" * len(digits)  # too short to show any part without showing most of it
    return f"{digits[:5]}•••{digits[-4:]}"
