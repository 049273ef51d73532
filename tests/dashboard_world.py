"""A small PKH world for the dashboard tests, on top of the complaint tests' directory: Rina's families in Melati 1
(Pasar Bengkulu), Agus's in Mawar (Semarang), both under koordinator Dewi; Yohanes's Anggrek in Papua, outside
Dewi's team; a Dinas Sosial admin. Complaints are filed through the chat as KPM do, including one about Rina
(hidden from her) sent rahasia; a meeting, a broadcast and lesson progress give the other pages something to show.
Plus helpers to sign in through a one-time link from chat and read pages as a browser would."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.dialogue import Inbound, Router
from common.enums import Channel, OutboxKind
from content.loader import Content
from dashboard.site import staff_dashboard
from store.db import Database
from store.directory import import_files
from store.models import Broadcast, Group, LessonProgress, Meeting, MeetingReply, OutboxMessage
from tests.complaint_world import MARIA, NURHAYATI, RINA, Clock, NoNlu, build, file, person
from tests.dialog import BOTH_CHANNELS

DATA = Path(__file__).parent / "data" / "dashboard"
LESTARI = (Channel.WHATSAPP, "6281234560012")  # anggota of Mawar, pendamping Agus
SRI = (Channel.TELEGRAM, "7011")  # ketua of Mawar
# Monday 23 November 2026, 09:00 WIB: the complaints come in; the pages are read three working days later.
FILED = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)
READ = dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.UTC)
LINK = re.compile(r"https?://\S+(/dasbor/masuk/[A-Za-z0-9_-]+)")

# Stories, so a test can look for them (or for their absence) on a page.
RINA_CASE = "Kartu KKS saya hilang di pasar"
ABOUT_RINA = "Pendamping minta uang lima puluh ribu"
AGUS_CASE = "Kartu KKS Lestari tertelan mesin"
YOHANES_CASE = "Kartu KKS Maria hilang di jalan"


class World:
    def __init__(self, database: Database, content: Content) -> None:
        self.database, self.content = database, content
        self.clock = Clock(FILED)
        self.router = Router(
            database, content, NoNlu(), clock=self.clock, public_url="http://127.0.0.1:8080", channels=BOTH_CHANNELS
        )
        self.tickets: dict[str, str] = {}
        self.clients: list[TestClient[web.Request, web.Application]] = []

    def build(self) -> World:
        build(self.database)
        with self.database.session() as db:
            import_files(db, [DATA / "anggota.csv"])
        self.tickets["rina"] = file(self.router, NURHAYATI, "kks_hilang", RINA_CASE)
        self.tickets["about_rina"] = file(self.router, NURHAYATI, "pendamping", ABOUT_RINA, secret=True)
        self.tickets["agus"] = file(self.router, LESTARI, "kks_tertelan", AGUS_CASE)
        self.tickets["yohanes"] = file(self.router, MARIA, "kks_hilang", YOHANES_CASE)
        self._meetings_broadcasts_lessons()
        self.clock.now = READ
        return self

    def _meetings_broadcasts_lessons(self) -> None:
        with self.database.session() as db:
            groups = {g.name: g for g in db.scalars(select(Group))}
            nurhayati = person(self.database, NURHAYATI)
            for name, day in (("Melati 1", dt.date(2026, 11, 27)), ("Anggrek", dt.date(2026, 11, 27))):
                meeting = Meeting(
                    group_id=groups[name].id,
                    recurrence="once",
                    first_date=day,
                    local_time="09:00",
                    timezone="Asia/Jayapura" if name == "Anggrek" else "Asia/Jakarta",
                    place=f"Balai {name}",
                )
                db.add(meeting)
                db.flush()
                if name == "Melati 1":
                    db.add(
                        MeetingReply(
                            meeting_id=meeting.id, occurrence=day.isoformat(), person_id=nurhayati.id, answer="hadir"
                        )
                    )
            rina = person(self.database, RINA)
            broadcast = Broadcast(
                sender_id=rina.id, group_ids=[groups["Melati 1"].id], text="Pertemuan Jumat", recipients=2
            )
            db.add(broadcast)
            db.flush()
            for n, status in enumerate(("sent", "failed")):
                db.add(
                    OutboxMessage(
                        channel=Channel.WHATSAPP,
                        recipient=f"62812345600{n}",
                        kind=OutboxKind.BROADCAST,
                        body={"text": "Pertemuan Jumat"},
                        dedup_key=f"broadcast:{broadcast.id}:{n}",
                        status=status,
                        delivery="read" if status == "sent" else None,
                        last_error="no template for this kind" if status == "failed" else None,
                        broadcast_id=broadcast.id,
                    )
                )
            db.add(
                LessonProgress(person_id=nurhayati.id, lesson=next(iter(self.content.sessions)), step=2, stage="steps")
            )


def sign_in_path(router: Router, who: tuple[Channel, str]) -> str:
    """Asks for a link in chat, as staff do, and returns its path (/dasbor/masuk/<token>)."""
    answer = router.handle(Inbound(who[0], who[1], "DASBOR"))
    match = LINK.search(answer[-1].text)
    assert match is not None, answer[-1].text
    return match.group(1)


def web_app(world: World) -> web.Application:
    app = web.Application()
    staff_dashboard(world.database, world.content, secure=False, channels=BOTH_CHANNELS, clock=world.clock).add_routes(
        app
    )
    return app


async def client_for(world: World, app: web.Application | None = None) -> TestClient[web.Request, web.Application]:
    """A browser of its own (its own cookies); closed by the `world` fixture's teardown."""
    client = TestClient(TestServer(app or web_app(world)))
    await client.start_server()
    world.clients.append(client)
    return client


async def signed_in(world: World, who: tuple[Channel, str]) -> TestClient[web.Request, web.Application]:
    client = await client_for(world)
    response = await client.get(sign_in_path(world.router, who), allow_redirects=False)
    assert response.status == 303, await response.text()
    return client
