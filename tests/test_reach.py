"""The one reach rule (store/reach.py) as people would notice it: a notice or a reminder goes where she can get it
on this deployment's channels, or is counted as not reaching her, never left pending on a channel that has no
sender; WhatsApp only once she has written; her last channel first, Telegram before WhatsApp."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import select, text, update

from bot import app
from bot.cli import main
from bot.dialogue import Router
from bot.settings import Settings, TelegramSettings
from common.enums import Channel
from content.loader import Content
from reminders.planner import Planner
from store import reach
from store.db import MIGRATIONS, Database
from store.directory import import_files
from store.models import Broadcast, ChannelIdentity, Group, Meeting, OutboxMessage, Person
from tests.dialog import BOTH_CHANNELS, Check, contains, run_dialog
from tests.group_helpers import DATA, NoNlu, due_rows, outbox_rows, person_id

KETUA = "8000"  # Bu Ketua's Telegram id; she leads Mawar
MEMBERS_WITH_BOTH = 5


def mawar(database: Database, tmp_path: Path) -> None:
    """Group Mawar as the field had it: members listed with both a Telegram id and a phone number (none of them has
    written yet), one with only a number, one with neither."""
    rows = [f"Mawar,PKH,Bu Ketua,ketua,081234569000,{KETUA},PD001,Pasar Bengkulu"]
    rows += [
        f"Mawar,PKH,Anggota {n},anggota,08123456910{n},81{n:02d},PD001,Pasar Bengkulu" for n in range(MEMBERS_WITH_BOTH)
    ]
    rows += ["Mawar,PKH,Bu WA,anggota,081234569200,,PD001,Pasar Bengkulu"]
    rows += ["Mawar,PKH,Bu Tanpa,anggota,,,PD001,Pasar Bengkulu"]
    anggota = tmp_path / "anggota.csv"
    anggota.write_text("kelompok,jenis,nama,peran,telepon,telegram_id,pendamping,kelurahan\n" + "\n".join(rows) + "\n")
    with database.session() as db:
        import_files(db, [DATA / "pendamping.csv", anggota])


def send_notice(router: Router, content: Content, recipients: int, unreachable: int) -> None:
    words = content.strings.broadcasts
    preview = words.preview.format(text="Besok kerja bakti", recipients=recipients, groups="Mawar").splitlines()[-1]
    expected = [preview, *([words.unreachable.format(count=unreachable)] if unreachable else [])]
    steps: list[tuple[str, Check]] = [
        ("/siaran", contains("Mawar")),
        ("Besok kerja bakti", contains(*expected)),
        ("kirim", contains(words.started.format(recipients=recipients).split(".")[0])),
    ]
    run_dialog(router, KETUA, steps, channel=Channel.TELEGRAM)


def broadcast_rows(database: Database) -> list[OutboxMessage]:
    return outbox_rows(database, "broadcast")


def test_only_telegram_configured_members_get_the_notice_on_telegram(
    database: Database, content: Content, tmp_path: Path
) -> None:
    """Field bug: with only Telegram configured, members known on both got their notice queued on WhatsApp (their
    newest identity) and it sat pending for ever, while the preview promised it to all of them."""
    mawar(database, tmp_path)
    settings = Settings(database_url=database.url, nlu_url="http://127.0.0.1:9", telegram=TelegramSettings("1:x"))
    with app.services(settings) as services:  # the channels come from the settings, through the composition root
        send_notice(services.router, content, recipients=MEMBERS_WITH_BOTH, unreachable=2)
    rows = broadcast_rows(database)
    assert len(rows) == MEMBERS_WITH_BOTH and {r.channel for r in rows} == {"telegram"}
    with database.session() as db:
        broadcast = db.scalars(select(Broadcast)).one()
        assert (broadcast.recipients, broadcast.skipped_unreachable) == (MEMBERS_WITH_BOTH, 2)
        nobody = [person_id(database, "Bu WA"), person_id(database, "Bu Tanpa")]
        missed = reach.audience(db, nobody, app.reach_channels(settings)).unreachable
    assert set(missed.values()) == {reach.Unreached.NO_CHANNEL}


def test_an_imported_whatsapp_number_is_written_to_only_after_she_writes(
    database: Database, content: Content, tmp_path: Path
) -> None:
    mawar(database, tmp_path)
    router = Router(database, content, NoNlu(), channels=BOTH_CHANNELS)
    send_notice(router, content, recipients=MEMBERS_WITH_BOTH, unreachable=2)
    assert person_id(database, "Bu WA") not in {r.person_id for r in broadcast_rows(database)}
    with database.session() as db:
        missed = reach.audience(db, [person_id(database, "Bu WA")], BOTH_CHANNELS).unreachable
    assert list(missed.values()) == [reach.Unreached.NOT_OPTED_IN]

    run_dialog(router, "6281234569200", [("menu", contains("1."))], channel=Channel.WHATSAPP)  # Bu WA writes once
    send_notice(router, content, recipients=MEMBERS_WITH_BOTH + 1, unreachable=1)
    latest = max(r.broadcast_id or 0 for r in broadcast_rows(database))
    bu_wa = person_id(database, "Bu WA")
    hers = [r for r in broadcast_rows(database) if r.broadcast_id == latest and r.person_id == bu_wa]
    assert [(r.channel, r.recipient) for r in hers] == [("whatsapp", "6281234569200")]


def test_her_last_channel_first_then_telegram_before_whatsapp(
    database: Database, content: Content, tmp_path: Path
) -> None:
    mawar(database, tmp_path)
    router = Router(database, content, NoNlu(), channels=BOTH_CHANNELS)
    run_dialog(router, "6281234569101", [("menu", contains("1."))], channel=Channel.WHATSAPP)  # Anggota 1, on WhatsApp
    send_notice(router, content, recipients=MEMBERS_WITH_BOTH, unreachable=2)
    channel_of = {r.person_id: r.channel for r in broadcast_rows(database)}
    assert channel_of[person_id(database, "Anggota 1")] == "whatsapp"
    assert channel_of[person_id(database, "Anggota 0")] == "telegram"  # never wrote: Telegram costs nothing

    run_dialog(router, "8101", [("menu", contains("1."))], channel=Channel.TELEGRAM)  # she now writes from Telegram
    with database.session() as db:
        address = reach.address(db, person_id(database, "Anggota 1"), BOTH_CHANNELS)
    assert address is not None and address.channel == Channel.TELEGRAM


def test_a_blocked_channel_is_skipped_until_she_writes_from_it_again(
    database: Database, content: Content, tmp_path: Path
) -> None:
    mawar(database, tmp_path)
    router = Router(database, content, NoNlu(), channels=BOTH_CHANNELS)
    anggota = person_id(database, "Anggota 2")
    with database.session() as db:
        blocked = datetime.now(UTC)
        db.execute(update(ChannelIdentity).where(ChannelIdentity.external_id == "8102").values(unreachable_at=blocked))
        assert reach.audience(db, [anggota], BOTH_CHANNELS).unreachable == {anggota: reach.Unreached.NOT_OPTED_IN}
        telegram_only = reach.configured([Channel.TELEGRAM])
        assert reach.audience(db, [anggota], telegram_only).unreachable == {anggota: reach.Unreached.BLOCKED}
    run_dialog(router, "8102", [("menu", contains("1."))], channel=Channel.TELEGRAM)  # she unblocked the bot and wrote
    with database.session() as db:
        address = reach.address(db, anggota, BOTH_CHANNELS)
    assert address is not None and address.external_id == "8102"


def test_a_rest_user_gets_complaint_news_with_her_next_answer_but_never_a_notice(
    database: Database, content: Content, tmp_path: Path
) -> None:
    """REST cannot be pushed to: news that can wait goes there (it comes with her next answer); a notice or a
    reminder does not, or the broadcast would never finish."""
    mawar(database, tmp_path)
    bu_tanpa = person_id(database, "Bu Tanpa")
    with database.session() as db:
        db.add(ChannelIdentity(person_id=bu_tanpa, channel=Channel.REST, external_id="bu-tanpa-web"))
    with database.session() as db:
        assert reach.audience(db, [bu_tanpa], BOTH_CHANNELS).unreachable == {bu_tanpa: reach.Unreached.NO_CHANNEL}
        address = reach.address(db, bu_tanpa, BOTH_CHANNELS, can_wait=True)
    assert address is not None and address.channel == Channel.REST


def test_reminders_follow_the_same_rule(database: Database, content: Content, tmp_path: Path) -> None:
    mawar(database, tmp_path)
    with database.session() as db:
        group = db.scalars(select(Group).where(Group.name == "Mawar")).one()
        meeting = Meeting(
            group_id=group.id,
            recurrence="once",
            first_date=date(2026, 12, 8),
            local_time="09:00",
            timezone="Asia/Jakarta",
            version=1,
        )
        db.add(meeting)
        db.flush()
        meeting_id = meeting.id
    planner = Planner(database, content, (timedelta(days=1),), reach.configured([Channel.TELEGRAM]))
    assert planner.wake(meeting_id, datetime(2026, 12, 7, 3, tzinfo=UTC)) == MEMBERS_WITH_BOTH + 1  # with the ketua
    assert {r.channel for r in outbox_rows(database, "reminder")} == {"telegram"}
    assert not due_rows(database, "whatsapp", datetime(2026, 12, 8, tzinfo=UTC))


def test_the_admin_command_lists_who_cannot_be_reached(
    database: Database,
    content: Content,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    mawar(database, tmp_path)
    monkeypatch.setenv("SAHABAT_DATABASE_URL", database.url)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:x")
    assert main(["admin", "reach"]) == 0
    out = capsys.readouterr().out
    assert "Bu WA" in out and "Bu Tanpa" in out and "Anggota 0" not in out
    # Staff imported with a number only (Agus, Yohanes) cannot get complaint news until they write.
    assert "PD002" in out and "PD003" in out and "6281234567002" not in out
    assert "2 memberships and 2 staff cannot be reached" in out


def test_an_upgraded_database_keeps_who_wrote_from_where(database: Database) -> None:
    """Migration 0008 on a database from before it: the last channel and WhatsApp opt-in come from the turns kept;
    a number from the spreadsheets that never wrote has not opted in."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0006")
    at = "2026-11-30 02:00:00"
    people = [{"p": 1, "at": at}, {"p": 2, "at": at}]
    identities = [(1, 1, "telegram", "11"), (2, 1, "whatsapp", "62811"), (3, 2, "whatsapp", "62822")]
    turns = [{"t": n, "c": channel, "at": at} for n, channel in ((1, "whatsapp"), (2, "telegram"), (3, "rest"))]
    with database.engine.begin() as connection:
        connection.execute(
            text("INSERT INTO people (id, role, in_directory, created_at) VALUES (:p, 'kpm', true, :at)"), people
        )
        connection.execute(
            text(
                "INSERT INTO channel_identities (id, person_id, channel, external_id, created_at)"
                " VALUES (:i, :p, :c, :e, :at)"
            ),
            [{"i": i, "p": p, "c": c, "e": e, "at": at} for i, p, c, e in identities],
        )
        connection.execute(
            text(
                "INSERT INTO turns (id, person_id, channel, direction, text, created_at)"
                " VALUES (:t, 1, :c, 'in', 'x', :at)"
            ),
            turns,
        )
    database.migrate()
    with database.session() as db:
        assert db.scalar(select(Person.last_channel).where(Person.id == 1)) == "telegram"  # REST is not pushed to
        assert db.scalar(select(Person.last_channel).where(Person.id == 2)) is None
        opted = dict(db.execute(select(ChannelIdentity.id, ChannelIdentity.opted_in_at.is_not(None))).tuples().all())
    assert opted == {1: True, 2: True, 3: False}


def test_counting_by_channel_in_sql_follows_the_same_rule(database: Database) -> None:
    """`reached_on` (the Jangkauan page counts with it) picks the channel `audience` picks, for every mix of
    identities (none, blocked, not opted in, several on one channel), last channel and configured channels."""
    now = datetime.now(UTC)
    kinds = [None, "ok", "blocked", "not_opted_in"]
    with database.session() as db:
        people = []
        for n, (telegram, whatsapp, second, last) in enumerate(
            (t, w, s, lc) for t in kinds for w in kinds for s in (False, True) for lc in (None, *Channel)
        ):
            person = Person(name=f"Ibu {n}", role="kpm", last_channel=last)
            for channel, kind in ((Channel.TELEGRAM, telegram), (Channel.WHATSAPP, whatsapp)):
                for copy in range(2 if second and kind else 1 if kind else 0):
                    person.identities.append(
                        ChannelIdentity(
                            channel=channel,
                            external_id=f"{channel}-{n}-{copy}",
                            unreachable_at=now if kind == "blocked" and copy == 0 else None,
                            opted_in_at=None if kind == "not_opted_in" else now,
                        )
                    )
            people.append(person)
        db.add_all(people)
        db.flush()
        ids = [p.id for p in people]
        for channels in (BOTH_CHANNELS, reach.configured([Channel.TELEGRAM]), reach.configured([Channel.WHATSAPP])):
            chosen = {
                a.person_id: a.channel for a in reach.audience(db, ids, channels, include_opted_out=True).reachable
            }
            counted = dict(
                db.execute(select(Person.id, reach.reached_on(channels)).where(Person.id.in_(ids))).tuples().all()
            )
            assert counted == {pid: chosen.get(pid) for pid in ids}
