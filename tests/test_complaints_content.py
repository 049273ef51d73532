"""content/complaints.yml is checked like the rest of content/: dangling references and unsourced facts fail."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from actions.complaints_common import payload
from content.loader import CONTENT_DIR, ContentError, load_content
from content.schema import ANSWER_LIMIT, BUTTON_LIMIT


def broken(tmp_path: Path, change: Any) -> Path:
    copy = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, copy, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    data = yaml.safe_load((copy / "complaints.yml").read_text(encoding="utf-8"))
    change(data)
    (copy / "complaints.yml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return copy


def test_the_issue_categories_are_all_there_and_fit_a_phone() -> None:
    rules = load_content().complaints
    assert rules is not None
    ids = {c.id for c in rules.categories}
    assert {
        "kks_hilang",
        "kks_rusak",
        "kks_tertelan",
        "lupa_pin",
        "bantuan_belum_diterima",
        "bantuan_berkurang",
        "sembako_bpnt",
        "data_salah",
        "komplementer",
        "pendamping",
        "ketua",
        "ewarong",
        "lainnya",
    } <= ids
    assert all(len(c.guidance) <= ANSWER_LIMIT and len(c.title) <= BUTTON_LIMIT for c in rules.categories)
    assert rules.first_response_days == 2 and rules.resolution_days == 10 and rules.reopen_days == 14
    assert rules.route("tentang_pendamping").hidden_from == ("pendamping",)
    assert rules.route("tentang_ketua").hidden_from == ("ketua",)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("route", "no_such_route", "route no_such_route leads nowhere"), ("group", "no_such_group", "leads nowhere")],
)
def test_a_dangling_reference_fails_the_load(tmp_path: Path, field: str, value: str, message: str) -> None:
    def change(data: dict[str, Any]) -> None:
        data["categories"][0][field] = value

    with pytest.raises(ContentError, match=message):
        load_content(broken(tmp_path, change))


def test_unsourced_guidance_and_a_missing_status_text_fail_the_load(tmp_path: Path) -> None:
    def unsourced(data: dict[str, Any]) -> None:
        data["categories"][0].pop("sources")

    with pytest.raises(ContentError, match="needs `sources` and `checked`"):
        load_content(broken(tmp_path, unsourced))

    def no_status(data: dict[str, Any]) -> None:
        data["texts"]["statuses"].pop("closed")

    with pytest.raises(ContentError, match="closed"):
        load_content(broken(tmp_path / "2", no_status))


def test_every_complaint_type_the_nlu_can_find_is_a_category() -> None:
    rules = load_content().complaints
    assert rules is not None
    training = (CONTENT_DIR.parent / "nlu" / "data" / "nlu.yml").read_text(encoding="utf-8")
    found = set(re.findall(r'"entity": "complaint_type", "value": "([a-z_]+)"', training))
    assert found and found <= {c.id for c in rules.categories}


def test_button_payloads_fit_telegram_callback_data() -> None:
    rules = load_content().complaints
    assert rules is not None
    longest_category = max((c.id for c in rules.categories), key=len)
    payloads = [
        "/file_complaint" + json.dumps({"complaint_type": longest_category}, separators=(",", ":")),
        *(payload(intent, "ADU-ABCDEF") for intent in ("complaint_reassign", "complaint_resolve", "complaint_confirm")),
    ]
    assert all(len(p.encode()) <= 64 for p in payloads), payloads
