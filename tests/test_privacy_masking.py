import logging

import pytest

from bot.dialogue import Inbound, Router
from bot.logs import MaskPersonalNumbers, masked_id
from common.enums import Channel
from content.loader import Content
from nlu.client import Parse
from store.db import Database
from store.privacy import mask_personal_numbers
from tests.dialog import BOTH_CHANNELS


@pytest.mark.parametrize(
    ("text", "hidden", "kept"),
    [
        ("NIK saya 3201234567890123", "3201234567890123", "123"),
        ("no kks 5049 4901 2345 6789", "5049 4901 2345 6789", "789"),
        ("hubungi 0812-3456-7890 ya", "0812-3456-7890", "890"),
        ("wa +6281234567890", "6281234567890", "890"),
    ],
)
def test_personal_numbers_are_masked(text: str, hidden: str, kept: str) -> None:
    masked = mask_personal_numbers(text)
    assert hidden not in masked
    assert masked.rstrip(" ya").endswith(kept)


def test_amounts_dates_and_tickets_stay_readable() -> None:
    text = "bantuan Rp 2.400.000 tgl 12/05/2024 tiket ADU-7K3Q9X"
    assert mask_personal_numbers(text) == text


def test_log_records_are_masked(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.masking")
    record = logger.makeRecord("test", logging.INFO, __file__, 1, "from %s", ("081234567890",), None)
    assert MaskPersonalNumbers().filter(record)
    assert record.getMessage() == "from *********890"


def test_large_amounts_are_not_mistaken_for_personal_numbers() -> None:
    for text in ["modal Rp10.000.000", "pinjam Rp 15000000", "Rp12000000 setahun"]:
        assert mask_personal_numbers(text) == text


class GreetingNlu:
    def parse(self, text: str) -> Parse:
        return Parse(text, "greet", 0.99)


def test_a_turn_is_logged_by_channel_masked_sender_and_intent_never_its_text(
    caplog: pytest.LogCaptureFixture, database: Database, content: Content
) -> None:
    router = Router(database, content, GreetingNlu(), channels=BOTH_CHANNELS)
    story = "halo kak nama saya Siti Aminah dari desa Sukamaju"
    with caplog.at_level(logging.DEBUG):
        assert router.handle(Inbound(Channel.TELEGRAM, "987654321", story, message_id="m1"))
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Siti" not in logged and "Sukamaju" not in logged and "987654321" not in logged
    assert f"telegram message from {masked_id('987654321')}: greet" in logged


def test_masked_ids_keep_only_their_last_three_characters() -> None:
    assert masked_id("6281234567890") == "**********890"
    assert masked_id(42) == "***42"
