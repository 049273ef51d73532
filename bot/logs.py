"""Logging with personal numbers masked in every record, whatever module logs it.

What a message said never goes to a log (it would outlive HAPUS DATA): a turn is logged as its channel, a masked
sender id and the intent understood."""

from __future__ import annotations

import logging

from store.privacy import mask_personal_numbers


class MaskPersonalNumbers(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_personal_numbers(record.getMessage())
        record.args = None
        return True


def masked_id(value: str | int) -> str:
    """A platform id (chat id, phone number) as logs show it: its last three characters, the rest starred."""
    text = str(value)
    return "*" * max(len(text) - 3, 3) + text[-3:]


def configure(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(MaskPersonalNumbers())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    # Does nothing when logging is already set up (e.g. by a test runner or an embedding application).
    logging.basicConfig(level=level, handlers=[handler])
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # "Running job …" for every periodic job every few seconds; misses and errors are still warnings.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
