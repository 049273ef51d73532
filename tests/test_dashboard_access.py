"""Who gets into the dashboard and what they may see: one-time links, sessions, and the complaint rules (someone
else's case, the person a case is about, rahasia), on SQLite and PostgreSQL. Expected words come from
content/dashboard.yml."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.dialogue import Inbound
from common.enums import Channel, Role
from content.loader import Content
from dashboard.site import staff_dashboard
from store.db import Database
from store.models import DashboardLogin, DashboardSession, Person, Turn
from store.reports.complaints import Measure
from tests.complaint_world import ADMIN, AGUS, DEWI, NURHAYATI, RINA, YOHANES, person
from tests.dashboard_world import (
    ABOUT_RINA,
    AGUS_CASE,
    RINA_CASE,
    YOHANES_CASE,
    World,
    client_for,
    sign_in_path,
    signed_in,
)
from tests.dialog import BOTH_CHANNELS

Client = TestClient[web.Request, web.Application]
PAGES = ["/dasbor", "/dasbor/jangkauan", "/dasbor/pengiriman", "/dasbor/belajar", "/dasbor/pertemuan"]
LISTS = [f"/dasbor/pengaduan/daftar?measure={m.value}" for m in Measure] + [
    f"/dasbor/pengaduan/daftar.csv?measure={m.value}" for m in Measure
]


@pytest.fixture
async def world(database: Database, content: Content) -> AsyncIterator[World]:
    built = World(database, content).build()
    yield built
    for client in built.clients:
        await client.close()


def words(content: Content) -> dict[str, dict[str, str]]:
    assert content.dashboard is not None
    return content.dashboard.pages


async def read(client: Client, path: str) -> tuple[int, str]:
    response = await client.get(path, allow_redirects=False)
    return response.status, await response.text()


async def everything(client: Client, world: World) -> str:
    """Every page, list and export the person can open, and every case by its URL, as one text."""
    texts = []
    paths = [
        *PAGES,
        *LISTS,
        "/dasbor/pengaduan/ringkasan.csv",
        *(f"/dasbor/pengaduan/{t}" for t in world.tickets.values()),
    ]
    for path in paths:
        status, text = await read(client, path)
        assert status in (200, 404), (path, status)
        texts.append(text)
    return "\n".join(texts)


async def test_a_link_signs_in_its_person_once(world: World, content: Content) -> None:
    path = sign_in_path(world.router, RINA)
    client = await client_for(world)
    response = await client.get(path, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/dasbor"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/dasbor" in cookie and "Secure" not in cookie
    status, home = await read(client, "/dasbor")
    assert status == 200 and "Rina Wulandari" in home and world.tickets["rina"] in home
    again = await client_for(world)
    status, page = await read(again, path)
    w = words(content)["sign_in"]
    assert status == 410 and w["link_invalid"] in page and w["how_to"] in page
    assert "ADU-" not in page and "Rina" not in page


async def test_a_link_expires_after_ten_minutes(world: World, content: Content) -> None:
    client = await client_for(world)
    late = sign_in_path(world.router, RINA)
    in_time = sign_in_path(world.router, RINA)
    world.clock.advance(minutes=9, seconds=59)
    assert (await client.get(in_time, allow_redirects=False)).status == 303
    world.clock.advance(seconds=1)
    status, page = await read(await client_for(world), late)
    assert status == 410 and words(content)["sign_in"]["how_to"] in page and "ADU-" not in page


async def test_without_a_session_nothing_is_shown_and_the_page_says_how_to_get_in(
    world: World, content: Content
) -> None:
    client = await client_for(world)
    client.session.cookie_jar.update_cookies({"sahabat_dasbor": "made-up"})
    w = words(content)["sign_in"]
    for path in [*PAGES, *LISTS, "/dasbor/pengaduan/ringkasan.csv", f"/dasbor/pengaduan/{world.tickets['rina']}"]:
        status, page = await read(client, path)
        assert status == 401, path
        assert w["no_session"] in page and w["how_to"] in page, path
        assert "ADU-" not in page and "Nurhayati" not in page and "Rina" not in page, path


async def test_only_a_hash_of_the_token_is_kept_and_it_is_bound_to_who_asked(world: World) -> None:
    path = sign_in_path(world.router, DEWI)
    token = path.rsplit("/", 1)[1]
    assert len(token) >= 43  # 256 random bits, base64url
    with world.database.session() as db:
        login = db.scalar(select(DashboardLogin))
        assert login is not None and login.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert login.person_id == person(world.database, DEWI).id
        assert not any(token in turn.text for turn in db.scalars(select(Turn)))
    client = await client_for(world)
    await client.get(path)
    status, home = await read(client, "/dasbor")
    assert status == 200 and "Dewi Lestari" in home
    with world.database.session() as db:
        stored = db.scalar(select(DashboardSession))
        assert stored is not None and stored.person_id == login.person_id
        cookie = client.session.cookie_jar.filter_cookies(client.make_url("/dasbor"))["sahabat_dasbor"].value
        assert stored.key_hash == hashlib.sha256(cookie.encode()).hexdigest() and cookie not in str(stored.data)


async def test_a_chat_apps_link_preview_does_not_use_the_link_up(world: World) -> None:
    path = sign_in_path(world.router, RINA)
    client = await client_for(world)
    preview = await client.get(path, headers={"User-Agent": "TelegramBot (like TwitterBot)"}, allow_redirects=False)
    assert preview.status == 200 and "Set-Cookie" not in preview.headers
    assert (await client.get(path, allow_redirects=False)).status == 303


async def test_over_https_the_cookie_is_secure(world: World) -> None:
    app = web.Application()
    board = staff_dashboard(world.database, world.content, secure=True, channels=BOTH_CHANNELS, clock=world.clock)
    board.add_routes(app)
    client = await client_for(world, app)
    response = await client.get(sign_in_path(world.router, RINA), allow_redirects=False)
    assert "Secure" in response.headers["Set-Cookie"]


async def test_keluar_dasbor_in_chat_ends_her_sessions_everywhere(world: World, content: Content) -> None:
    phone, laptop, dewi = await signed_in(world, RINA), await signed_in(world, RINA), await signed_in(world, DEWI)
    answer = world.router.handle(Inbound(*RINA, "KELUAR DASBOR"))
    assert content.dashboard is not None and answer[-1].text == content.dashboard.chat.logged_out
    for client in (phone, laptop):
        assert (await read(client, "/dasbor"))[0] == 401
    assert (await read(dewi, "/dasbor"))[0] == 200


async def test_the_keluar_button_ends_this_browsers_session(world: World, content: Content) -> None:
    client = await signed_in(world, RINA)
    response = await client.post("/dasbor/keluar")
    assert response.status == 200 and words(content)["sign_in"]["signed_out"] in await response.text()
    assert (await read(client, "/dasbor"))[0] == 401


def test_a_kpm_asking_for_the_dashboard_gets_a_polite_no_and_no_link(world: World, content: Content) -> None:
    assert content.dashboard is not None
    for said in ("DASBOR", "/dasbor", "keluar dasbor"):
        answer = world.router.handle(Inbound(*NURHAYATI, said))
        assert answer[-1].text == content.dashboard.chat.not_staff
        assert "/dasbor/masuk/" not in answer[-1].text
    with world.database.session() as db:
        assert db.scalar(select(DashboardLogin)) is None


async def test_a_pendamping_asking_for_another_pendamping_case_by_url_gets_not_found(
    world: World, content: Content
) -> None:
    client = await signed_in(world, RINA)
    agus = person(world.database, AGUS).id
    for ticket in (world.tickets["agus"], world.tickets["yohanes"]):
        status, page = await read(client, f"/dasbor/pengaduan/{ticket}")
        assert status == 404 and words(content)["sign_in"]["not_found"] in page and ticket not in page
    for path in (f"/dasbor/pengaduan/daftar?pendamping={agus}", f"/dasbor/pengaduan/daftar.csv?pendamping={agus}"):
        assert world.tickets["agus"] not in (await read(client, path))[1]
    seen = await everything(client, world)
    for hidden in (world.tickets["agus"], world.tickets["yohanes"], AGUS_CASE, YOHANES_CASE, "Lestari", "Maria"):
        assert hidden not in seen, hidden


async def test_the_pendamping_a_complaint_is_about_never_sees_it_anywhere(world: World) -> None:
    rina = await signed_in(world, RINA)
    seen = await everything(rina, world)
    assert world.tickets["about_rina"] not in seen and ABOUT_RINA not in seen
    assert world.tickets["rina"] in seen and RINA_CASE in seen
    dewi = await signed_in(world, DEWI)
    status, page = await read(dewi, f"/dasbor/pengaduan/{world.tickets['about_rina']}")
    assert status == 200 and ABOUT_RINA in page


@pytest.mark.parametrize("who", [DEWI, ADMIN])
async def test_rahasia_never_shows_the_reporter(world: World, content: Content, who: tuple[Channel, str]) -> None:
    client = await signed_in(world, who)
    status, page = await read(client, f"/dasbor/pengaduan/{world.tickets['about_rina']}")
    assert status == 200 and words(content)["case"]["reporter_secret"] in page and "Nurhayati" not in page
    seen = await everything(client, world)
    assert world.tickets["about_rina"] in seen
    # Only the case she did not send rahasia names her, and only on its own page.
    named = [p for p in seen.split("\n") if "Nurhayati" in p]
    assert named and all(world.tickets["about_rina"] not in line for line in named)
    status, page = await read(client, f"/dasbor/pengaduan/{world.tickets['rina']}")
    assert "Nurhayati" in page


async def test_someone_no_longer_staff_loses_the_dashboard(world: World) -> None:
    client = await signed_in(world, YOHANES)
    with world.database.session() as db:
        found = db.get(Person, person(world.database, YOHANES).id)
        assert found is not None
        found.role = Role.KPM
    assert (await read(client, "/dasbor"))[0] == 401
