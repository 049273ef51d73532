"""Routing by the rules in content/complaints.yml, on SQLite and PostgreSQL: who gets a case, who is told, and
that a person a complaint is about can never see it through any command, notification or escalation."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.dialogue import Router
from common.enums import Channel
from content.loader import Content
from reminders.escalation import run_escalations
from store.db import Database
from store.models import Complaint, ComplaintEvent
from tests.complaint_world import (
    ADMIN,
    AGUS,
    DEWI,
    MARIA,
    NEIGHBOUR,
    NURHAYATI,
    RINA,
    SITI,
    YOHANES,
    Clock,
    NoNlu,
    build,
    complaint,
    file,
    outbox_to,
    payload,
    person,
    say,
)
from tests.dialog import BOTH_CHANNELS

START = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)  # Monday 09:00 WIB
UNSEEN = (Channel.REST, "ibu-baru-di-rest")
STAFF_INTENTS = ("complaint_open", "complaint_accept", "complaint_reply", "complaint_resolve", "complaint_reassign")
REPORTER_INTENTS = ("complaint_status", "complaint_confirm", "complaint_reopen")


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def router(database: Database, content: Content, clock: Clock) -> Router:
    build(database)
    return Router(database, content, NoNlu(), clock=clock, channels=BOTH_CHANNELS)


# reporter, category, story, who handles it, who also sees it, who cannot see it now (the people it is about
# first: they can never see it, not even after escalation)
MATRIX = [
    pytest.param(
        NURHAYATI, "kks_hilang", "Kartu KKS saya hilang di pasar", RINA, [], [], [DEWI, AGUS, SITI], id="default"
    ),
    pytest.param(
        NURHAYATI,
        "pendamping",
        "Pendamping minta uang 50 ribu tiap pencairan",
        DEWI,
        [],
        [RINA],
        [AGUS, SITI],
        id="about-pendamping",
    ),
    pytest.param(
        NURHAYATI, "ketua", "Ketua kelompok menyuruh kami kerja bakti", RINA, [], [SITI], [DEWI], id="about-ketua"
    ),
    pytest.param(
        NURHAYATI,
        "ketua",
        "Ketua kelompok minta uang 20 ribu setiap cair",
        RINA,
        [DEWI],
        [SITI],
        [AGUS],
        id="ketua-took-money",
    ),
    pytest.param(
        NURHAYATI,
        "bantuan_berkurang",
        "Bantuan saya dipotong orang di agen",
        RINA,
        [DEWI],
        [],
        [SITI, AGUS],
        id="money-taken",
    ),
    pytest.param(
        NEIGHBOUR,
        "data_salah",
        "Nama saya tidak terdaftar lagi",
        DEWI,
        [],
        [],
        [RINA, AGUS],
        id="no-pendamping-region-koordinator",
    ),
    pytest.param(
        UNSEEN, "lainnya", "Saya mau bertanya soal bantuan", ADMIN, [], [], [RINA, DEWI], id="unknown-admin-queue"
    ),
    pytest.param(
        MARIA, "pendamping", "Pendamping tidak pernah datang", ADMIN, [], [YOHANES], [DEWI], id="papua-no-koordinator"
    ),
]


def everything_a_person_can_try(ticket: str) -> list[str]:
    tries = ["/aduan", f"cek {ticket}", ticket]
    tries += [payload(intent, ticket=ticket) for intent in STAFF_INTENTS + REPORTER_INTENTS]
    return tries


def history_length(database: Database, ticket: str) -> int:
    with database.session() as db:
        found = db.scalar(select(Complaint).where(Complaint.ticket == ticket))
        assert found is not None
        return len(db.scalars(select(ComplaintEvent).where(ComplaintEvent.complaint_id == found.id)).all())


@pytest.mark.parametrize(("reporter", "category", "story", "handler", "watchers", "about", "others"), MATRIX)
def test_routing_matrix(
    router: Router,
    database: Database,
    content: Content,
    clock: Clock,
    reporter: tuple[Channel, str],
    category: str,
    story: str,
    handler: tuple[Channel, str],
    watchers: list[tuple[Channel, str]],
    about: list[tuple[Channel, str]],
    others: list[tuple[Channel, str]],
) -> None:
    ticket = file(router, reporter, category, story)
    filed = complaint(database, ticket)
    expected = person(database, handler)
    if handler == ADMIN:
        assert filed.level == "admin" and filed.assignee_id is None
    else:
        assert filed.assignee_id == expected.id
    assert sorted(filed.watcher_ids) == sorted(person(database, w).id for w in watchers)
    assert sorted(filed.hidden_ids) == sorted(person(database, a).id for a in about)

    for sees in [handler, *watchers]:
        assert ticket in say(router, sees, "/aduan")
        assert story in say(router, sees, payload("complaint_open", ticket=ticket))
        assert any(ticket in text for text in outbox_to(database, sees))

    events = history_length(database, ticket)
    for outsider in about + others:
        for attempt in everything_a_person_can_try(ticket):
            shown = say(router, outsider, attempt)
            assert story not in shown and "Ringkasan" not in shown, (outsider, attempt, shown)
            assert ticket not in shown or "tidak ditemukan" in shown, (outsider, attempt, shown)
    assert history_length(database, ticket) == events, "an outsider's attempt changed the case"

    # Nobody acts: reminders and escalations all the way up still never reach the people it is about.
    for days in (2, 4, 8, 16, 30):
        with database.session() as db:
            run_escalations(db, content, START + dt.timedelta(days=days), BOTH_CHANNELS)
    for named in about:
        assert not any(ticket in text for text in outbox_to(database, named)), named
        for attempt in everything_a_person_can_try(ticket):
            assert story not in say(router, named, attempt)
    assert complaint(database, ticket).level == "admin"
    assert any("lebih tinggi" in text for text in outbox_to(database, reporter)) or handler == ADMIN


def test_the_named_pendamping_and_ketua_are_never_told(router: Router, database: Database, content: Content) -> None:
    about_rina = file(router, NURHAYATI, "pendamping", "Pendamping menahan kartu KKS kami")
    about_siti = file(router, NURHAYATI, "ketua", "Ketua kelompok minta uang tiap pertemuan")
    for days in range(1, 40):
        with database.session() as db:
            run_escalations(db, content, START + dt.timedelta(days=days), BOTH_CHANNELS)
    assert not any(about_rina in text for text in outbox_to(database, RINA))
    assert not any(about_siti in text for text in outbox_to(database, SITI))
    assert person(database, RINA).id in complaint(database, about_rina).hidden_ids
    assert person(database, SITI).id in complaint(database, about_siti).hidden_ids


def test_rahasia_hides_the_reporter_from_the_handler_who_still_answers_through_the_assistant(
    router: Router, database: Database
) -> None:
    secret = file(router, NURHAYATI, "kks_tertelan", "Kartu tertelan ATM BRI pasar", secret=True)
    known = file(router, NURHAYATI, "lupa_pin", "Saya lupa PIN kartu")
    shown = say(router, RINA, payload("complaint_open", ticket=secret))
    assert "dirahasiakan" in shown
    assert "Nurhayati" not in shown and "0002" not in shown
    listed = say(router, RINA, "/aduan")
    assert "Nurhayati" not in listed
    open_known = say(router, RINA, payload("complaint_open", ticket=known))
    assert "Nurhayati" in open_known and "6281234560002" in open_known

    assert "Tulis balasan" in say(router, RINA, payload("complaint_reply", ticket=secret))
    assert "terkirim" in say(router, RINA, "Ibu, besok jam 9 kita ke bank bersama")
    assert any("besok jam 9" in text for text in outbox_to(database, NURHAYATI))
    # Nothing in Rina's own messages names the reporter either.
    assert not any("Nurhayati" in text for text in outbox_to(database, RINA))
