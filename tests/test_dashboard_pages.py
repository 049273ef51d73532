"""Each page shows each person what her role lets her see and nothing more: a pendamping her own families, groups
and cases; a koordinator those of the pendamping under her; Dinas Sosial everything. Every number on the home page
leads to exactly as many cases, on the page and in its CSV. On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import AsyncIterator
from html.parser import HTMLParser

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy.orm import Session

from bot.dialogue import Inbound
from common.enums import Channel
from common.messages import Payload
from content.loader import Content
from dashboard.pages.questions import QueueQuestions, UnhelpfulTopic, WaitingQuestion
from dashboard.site import staff_dashboard
from store.db import Database
from store.reports.scope import Scope
from tests.complaint_world import ADMIN, DEWI, MARIA, NEIGHBOUR, NURHAYATI, RINA, YOHANES
from tests.dashboard_world import FILED, READ, World, client_for, sign_in_path, signed_in
from tests.dialog import BOTH_CHANNELS

Client = TestClient[web.Request, web.Application]
TICKETS_SEEN = {
    RINA: {"rina"},
    DEWI: {"rina", "about_rina", "agus"},
    YOHANES: {"yohanes"},
    ADMIN: {"rina", "about_rina", "agus", "yohanes"},
}
GROUPS_SEEN = {
    RINA: {"Melati 1", "Maju Bersama"},
    DEWI: {"Melati 1", "Maju Bersama", "Mawar"},
    YOHANES: {"Anggrek"},
    ADMIN: {"Melati 1", "Maju Bersama", "Mawar", "Anggrek"},
}
EVERYONE = [RINA, DEWI, YOHANES, ADMIN]


@pytest.fixture
async def world(database: Database, content: Content) -> AsyncIterator[World]:
    built = World(database, content).build()
    yield built
    for client in built.clients:
        await client.close()


async def page(client: Client, path: str) -> str:
    response = await client.get(path)
    assert response.status == 200, path
    text = await response.text()
    assert "<script" not in text  # works the same without JavaScript
    return text


class Links(HTMLParser):
    """(href, text) of every link on a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href, self._text = dict(attrs).get("href"), ""

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.found.append((self._href.replace("&amp;", "&"), self._text.strip()))
            self._href = None


def links(html: str) -> list[tuple[str, str]]:
    parser = Links()
    parser.feed(html)
    return parser.found


@pytest.mark.parametrize("who", EVERYONE)
async def test_pengaduan_shows_exactly_the_cases_of_her_scope(world: World, who: tuple[Channel, str]) -> None:
    client = await signed_in(world, who)
    seen = await page(client, "/dasbor") + await page(client, "/dasbor/pengaduan/daftar?measure=all")
    for name, ticket in world.tickets.items():
        assert (ticket in seen) == (name in TICKETS_SEEN[who]), (who, name)


@pytest.mark.parametrize("who", [DEWI, ADMIN])
async def test_every_number_leads_to_as_many_cases_on_the_page_and_in_the_csv(
    world: World, who: tuple[Channel, str]
) -> None:
    client = await signed_in(world, who)
    home = await page(client, "/dasbor")
    numbers = [
        (href, int(text))
        for href, text in links(home)
        if href.startswith("/dasbor/pengaduan/daftar?") and text.isdigit()
    ]
    assert len(numbers) > 20
    for href, number in set(numbers):
        listed = await page(client, href)
        heading = re.search(r"<h2>[^<]*: (\d+)</h2>", listed)
        assert heading is not None and int(heading.group(1)) == number, href
        rows = list(csv.reader(io.StringIO(await page(client, href.replace("/daftar?", "/daftar.csv?")))))
        assert len(rows) - 1 == number, href
        assert len(set(re.findall(r">(ADU-\w{6})<", listed))) == number, href


async def test_the_overdue_cases_come_first_on_the_home_page(world: World) -> None:
    client = await signed_in(world, DEWI)
    home = await page(client, "/dasbor")
    overdue = home.index('id="overdue"')
    assert all(home.index(world.tickets[n]) > overdue for n in TICKETS_SEEN[DEWI])
    assert home.index(world.tickets["rina"]) < home.index('id="due-today"')


@pytest.mark.parametrize("who", EVERYONE)
async def test_jangkauan_counts_the_families_and_groups_of_her_scope(world: World, who: tuple[Channel, str]) -> None:
    client = await signed_in(world, who)
    reach = await page(client, "/dasbor/jangkauan")
    for group in GROUPS_SEEN[ADMIN]:
        assert (f"<td>{group}</td>" in reach) == (group in GROUPS_SEEN[who]), (who, group)


@pytest.mark.parametrize("who", EVERYONE)
async def test_pengiriman_pertemuan_and_belajar_stay_within_her_groups(
    world: World, content: Content, who: tuple[Channel, str]
) -> None:
    client = await signed_in(world, who)
    sees_melati = "Melati 1" in GROUPS_SEEN[who]
    delivery = await page(client, "/dasbor/pengiriman")
    assert ("no template for this kind" in delivery) == sees_melati
    meetings = await page(client, "/dasbor/pertemuan")
    assert ("Balai Melati 1" in meetings) == sees_melati
    assert ("Balai Anggrek" in meetings) == ("Anggrek" in GROUPS_SEEN[who])
    learning = await page(client, "/dasbor/belajar")
    title = next(iter(content.sessions.values())).title
    row = re.search(re.escape(title) + r'</td><td class="n">(\d+)</td>', learning)
    assert row is not None and int(row.group(1)) == (1 if sees_melati else 0)


class Questions:
    """A stand-in for the question queue of issue 9, to show the seam the Pertanyaan page waits on."""

    def waiting(self, db: Session, scope: Scope, now: dt.datetime) -> list[WaitingQuestion]:
        return [WaitingQuestion(dt.datetime(2026, 11, 25, tzinfo=dt.UTC), "Kapan bantuan tahap 4 cair?", "Rina")]

    def unhelpful(self, db: Session, scope: Scope, since: dt.datetime) -> list[UnhelpfulTopic]:
        return [UnhelpfulTopic("pencairan_saldo_kosong", 3)]


async def test_the_pertanyaan_page_appears_once_a_question_queue_is_plugged_in(world: World, content: Content) -> None:
    client = await signed_in(world, RINA)
    assert content.dashboard is not None
    assert content.dashboard.pages["nav"]["questions"] not in await page(client, "/dasbor")
    assert (await client.get("/dasbor/pertanyaan")).status == 404
    app = web.Application()
    staff_dashboard(
        world.database, content, secure=False, channels=BOTH_CHANNELS, clock=world.clock, questions_source=Questions()
    ).add_routes(app)
    with_queue = await client_for(world, app)
    await with_queue.get(sign_in_path(world.router, RINA))
    shown = await page(with_queue, "/dasbor/pertanyaan")
    assert "Kapan bantuan tahap 4 cair?" in shown and "pencairan_saldo_kosong" in shown


QUESTIONS_SEEN = {
    RINA: {"rina"},
    DEWI: {"rina", "queue"},
    YOHANES: {"yohanes"},
    ADMIN: {"rina", "queue", "yohanes"},
}
ASKED = {
    "rina": (NURHAYATI, "Bu, tahap empat di Melati kapan cair?"),
    "yohanes": (MARIA, "Apakah Anggrek dapat bantuan modal?"),
    "queue": (NEIGHBOUR, "Saya belum punya pendamping, daftar ke mana?"),
}


async def pertanyaan_page(world: World, content: Content, who: tuple[Channel, str]) -> str:
    """The Pertanyaan page as `who` sees it, with the question queue plugged in as `bot/app.py` does."""
    app = web.Application()
    staff_dashboard(
        world.database,
        content,
        secure=False,
        channels=BOTH_CHANNELS,
        clock=world.clock,
        questions_source=QueueQuestions(),
    ).add_routes(app)
    client = await client_for(world, app)
    await client.get(sign_in_path(world.router, who))
    return await page(client, "/dasbor/pertanyaan")


@pytest.mark.parametrize("who", EVERYONE, ids=["rina", "dewi", "yohanes", "admin"])
async def test_the_pertanyaan_page_shows_the_questions_in_view_with_their_age(
    world: World, content: Content, who: tuple[Channel, str]
) -> None:
    world.clock.now = FILED
    for asker, text in ASKED.values():
        world.router.handle(Inbound(asker[0], asker[1], "/send_question"))
        world.router.handle(Inbound(asker[0], asker[1], text))
    world.clock.now = READ
    shown = await pertanyaan_page(world, content, who)
    assert {name for name, (_, text) in ASKED.items() if text in shown} == QUESTIONS_SEEN[who]
    assert "3 hari" in shown and "lewat 2 hari kerja" in shown
    assert ("Antrean koordinator" in shown) == ("queue" in QUESTIONS_SEEN[who])


async def test_the_pertanyaan_page_lists_topics_rated_not_helpful(world: World, content: Content) -> None:
    world.clock.now = FILED
    for sender, helpful in [("8101", "0"), ("8102", "0"), ("8103", "1")]:
        world.router.handle(
            Inbound(Channel.TELEGRAM, sender, Payload.of("rate_answer", topic="kks_hilang", helpful=helpful).render())
        )
    world.clock.now = READ
    shown = await pertanyaan_page(world, content, RINA)
    assert 'kks_hilang</td><td class="n">2</td>' in shown
