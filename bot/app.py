"""The composition root: reading this file tells every channel, service and background task the app runs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from aiohttp import web

from bot.budget import SendBudget, send_budget
from bot.channels import rest, telegram
from bot.channels.telegram import TelegramChannel, TelegramTransport, outbox_bot
from bot.channels.whatsapp import WhatsAppChannel
from bot.channels.whatsapp_api import GraphClient, WhatsAppTransport, sending_limits
from bot.dialogue import Router
from bot.outbox import Limits, OutboxSender, Transport
from bot.settings import Settings, TelegramSettings, WhatsAppSettings
from common.enums import Channel
from content.loader import Content, load_content
from dashboard.pages.questions import QueueQuestions
from dashboard.site import staff_dashboard
from nlu.client import NluClient
from nlu.rasa_env import RasaEnvironment, RasaServer
from reminders.digest import send_digests
from reminders.escalation import escalate_now
from reminders.questions import remind_now
from reminders.scheduler import ReminderScheduler
from store import outbox, reach
from store.db import Database
from store.locks import ProcessMark
from store.reach import Channels

log = logging.getLogger(__name__)
# The leader's periodic jobs: meetings changed in any process are re-planned, finished broadcasts reported, complaint
# deadlines acted on (all idempotent: dedup keys).
MEETING_SYNC_EVERY = timedelta(seconds=10)
BROADCAST_WATCH_EVERY = timedelta(seconds=5)
ESCALATION_EVERY = timedelta(minutes=5)
# The weekly digest goes out from Monday 07:00 in each person's zone: looked at this often, it is at most this late.
DIGEST_EVERY = timedelta(minutes=5)
# Workers answering the WhatsApp inbox at once (one sender each, her messages in order).
INBOX_WORKERS = 8


@dataclass
class Services:
    settings: Settings
    db: Database
    content: Content
    nlu: NluClient
    router: Router
    # Started by `serve` only: in the process that leads, it writes reminders and broadcast reports to the outbox.
    scheduler: ReminderScheduler | None = None


@contextlib.contextmanager
def nlu_service(settings: Settings) -> Iterator[str]:
    """The NLU base URL: the configured one, or a Rasa server started here (trained first if needed)."""
    if settings.nlu_url:
        yield settings.nlu_url
        return
    rasa = RasaEnvironment(settings.rasa_venv)
    model = rasa.train(settings.nlu_config)
    log.info("starting the Rasa NLU server with %s", model.name)
    server: RasaServer = rasa.serve(model).start()
    try:
        log.info("NLU ready at %s", server.url)
        yield server.url
    finally:
        server.stop()


def reach_channels(settings: Settings) -> Channels:
    """The channels people are written to here: REST (always served) and the platform channels the settings enable.
    Everything that writes to people (reminders, notices, complaint updates) gets them from here (store/reach.py)."""
    enabled = [Channel.REST]
    enabled += [Channel.TELEGRAM] if settings.telegram else []
    enabled += [Channel.WHATSAPP] if settings.whatsapp else []
    return reach.configured(enabled)


@contextlib.contextmanager
def services(settings: Settings) -> Iterator[Services]:
    content = load_content()
    db = Database(settings.database_url)
    db.migrate()
    channels = reach_channels(settings)
    with nlu_service(settings) as nlu_url:
        nlu = NluClient(nlu_url)
        scheduler = ReminderScheduler(db, content, offsets=settings.reminder_offsets, channels=channels)
        scheduler.add_periodic("meetings-sync", scheduler.sync, MEETING_SYNC_EVERY)
        scheduler.add_periodic("broadcasts-watch", scheduler.watch_broadcasts, BROADCAST_WATCH_EVERY)
        # Complaint deadlines: remind handlers before, move cases up a level after (idempotent: dedup keys).
        scheduler.add_periodic("complaint-escalation", lambda: escalate_now(db, content, channels), ESCALATION_EVERY)
        scheduler.add_periodic("question-reminders", lambda: remind_now(db, content, channels), ESCALATION_EVERY)
        # Monday's summary for pendamping and koordinator (idempotent: one dedup key per person and Monday).
        scheduler.add_periodic("weekly-digest", lambda: send_digests(db, content, channels), DIGEST_EVERY)
        router = Router(db, content, nlu, public_url=settings.site_url, channels=channels)
        try:
            yield Services(settings, db, content, nlu, router, scheduler)
        finally:
            nlu.close()
            db.dispose()


NLU_KEY = web.AppKey("nlu", NluClient)
SCHEDULER_KEY = web.AppKey("scheduler", ReminderScheduler)


async def health(request: web.Request) -> web.Response:
    nlu: NluClient = request.app[NLU_KEY]
    ready = await asyncio.to_thread(nlu.ready)
    body = {"status": "ok" if ready else "nlu unavailable"}
    if SCHEDULER_KEY in request.app:
        body["scheduler"] = "leading" if request.app[SCHEDULER_KEY].leading else "standing by"
    return web.json_response(body, status=200 if ready else 503)


class ChatChannel(Protocol):
    """A platform channel: its webhook routes on the app's web server, its lifecycle, its outbox transport."""

    @property
    def transport(self) -> Transport: ...

    @property
    def limits(self) -> Limits: ...

    def add_routes(self, app: web.Application) -> None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def telegram_budget(settings: TelegramSettings, database_url: str) -> SendBudget:
    """One budget per bot, whichever process sends: the bot's id is the token's first part (not the secret)."""
    return send_budget(database_url, f"telegram:{settings.token.partition(':')[0]}", settings.rate)


def whatsapp_transport(settings: WhatsAppSettings, db: Database, content: Content) -> WhatsAppTransport:
    budget = send_budget(db.url, f"whatsapp:{settings.phone_number_id}", settings.rate)
    return WhatsAppTransport(settings, GraphClient(settings, budget), db, content.strings)


def chat_channels(app_services: Services) -> list[ChatChannel]:
    """The platform channels the settings enable: Telegram (TELEGRAM_BOT_TOKEN), WhatsApp (WHATSAPP_*)."""
    settings, db, found = app_services.settings, app_services.db, list[ChatChannel]()
    router, content = app_services.router, app_services.content
    if settings.telegram:
        budget = telegram_budget(settings.telegram, db.url)
        found.append(TelegramChannel(settings.telegram, router, db, content, budget))
    if settings.whatsapp:
        transport = whatsapp_transport(settings.whatsapp, db, content)
        found.append(WhatsAppChannel(settings.whatsapp, router, db, content, transport))
    return found


def web_app(
    app_services: Services, channels: Sequence[ChatChannel] = (), mark: ProcessMark | None = None
) -> web.Application:
    app = web.Application(client_max_size=1024 * 1024)
    app[NLU_KEY] = app_services.nlu
    if app_services.scheduler is not None:
        app[SCHEDULER_KEY] = app_services.scheduler
    app.router.add_get("/health", health)
    rest.add_routes(app, app_services.router, mark or ProcessMark(app_services.db.engine))
    # The staff dashboard under /dasbor (sign-in links come from chat: DASBOR).
    secure = app_services.settings.site_url.startswith("https://")
    reached_on = reach_channels(app_services.settings)
    staff_dashboard(
        app_services.db, app_services.content, secure=secure, channels=reached_on, questions_source=QueueQuestions()
    ).add_routes(app)
    for channel in channels:  # POST /webhooks/whatsapp; the Telegram webhook path in webhook mode
        channel.add_routes(app)
    return app


def outbox_senders(app_services: Services, channels: Sequence[ChatChannel], mark: ProcessMark) -> list[OutboxSender]:
    """One sender per channel; a WhatsApp reply wakes its sender at once instead of at the next idle tick."""
    senders = []
    for channel in channels:
        sender = OutboxSender(app_services.db, channel.transport, channel.limits, mark)
        if isinstance(channel, WhatsAppChannel):
            channel.on_replies = sender.wake
        senders.append(sender)
    return senders


def stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return stop


async def keep_scheduler_lead(scheduler: ReminderScheduler, stop: asyncio.Event) -> None:
    """Renews the scheduler lease while this process leads, tries to take it while another does."""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), scheduler.lead_every)
        if not stop.is_set():
            await asyncio.to_thread(scheduler.keep_lead)


async def serve(app_services: Services) -> None:
    """Serve every configured channel, drain their outboxes and run the scheduler (if this process leads) until
    SIGINT/SIGTERM. Every background task of the app is started here."""
    scheduler = app_services.scheduler
    mark = ProcessMark(app_services.db.engine)  # this process, as the owner of the outbox rows it claims
    await asyncio.to_thread(mark.keep)
    # REST answers carry the rows waiting for their sender: any left half-handed-over by a stopped process wait again.
    await asyncio.to_thread(_recover_rest, app_services.db, mark)
    if scheduler is not None:
        leading = await asyncio.to_thread(scheduler.start)
        log.info("scheduler: %s", "running here" if leading else "another process leads; standing by")
    channels = chat_channels(app_services)
    senders = outbox_senders(app_services, channels, mark)
    runner = web.AppRunner(web_app(app_services, channels, mark), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", app_services.settings.rest_port)
    await site.start()
    log.info("REST channel on http://127.0.0.1:%d/webhooks/rest/webhook", app_services.settings.rest_port)
    log.info("staff dashboard on %s/dasbor (ask for a link in chat: DASBOR)", app_services.settings.site_url)
    stop = stop_on_signals()
    started: list[ChatChannel] = []
    tasks: list[asyncio.Task[None]] = []  # end by themselves at `stop`
    inbox: list[asyncio.Task[None]] = []  # wait on their queue: cancelled at `stop`
    try:
        for channel in channels:
            await channel.start()  # Telegram: polling (PTB's own task) or its webhook route
            started.append(channel)
            if isinstance(channel, WhatsAppChannel):  # the inbox: one dispatcher, several workers
                tasks.append(asyncio.create_task(channel.dispatch_inbox(stop)))
                inbox += [asyncio.create_task(channel.answer_inbox(stop)) for _ in range(INBOX_WORKERS)]
        tasks += [asyncio.create_task(sender.run(stop)) for sender in senders]
        if scheduler is not None:
            tasks.append(asyncio.create_task(keep_scheduler_lead(scheduler, stop)))
        await stop.wait()
    finally:
        stop.set()
        for task in inbox:
            task.cancel()
        await asyncio.gather(*tasks, *inbox, return_exceptions=True)
        for channel in reversed(started):
            await channel.stop()
        await runner.cleanup()
        if scheduler is not None:
            await asyncio.to_thread(scheduler.stop)
        await asyncio.to_thread(mark.release)


def _recover_rest(db: Database, mark: ProcessMark) -> None:
    with db.session() as session:
        outbox.recover_in_flight(session, rest.CHANNEL, mark)


async def send_outbox(settings: Settings, db: Database, content: Content, stop: asyncio.Event) -> None:
    """Only the outbox senders, without answering anyone (`sahabat outbox send`): for a sender process of its own.
    Any number of these and of `sahabat run` may share a database: they share each account's send budget."""
    mark = ProcessMark(db.engine)
    await asyncio.to_thread(mark.keep)
    senders: list[OutboxSender] = []
    closers = []
    if settings.telegram:
        bot = outbox_bot(settings.telegram, telegram_budget(settings.telegram, db.url))
        await bot.initialize()
        closers.append(bot.shutdown)
        senders.append(OutboxSender(db, TelegramTransport(bot, db), telegram.LIMITS, mark))
    if settings.whatsapp:
        transport = whatsapp_transport(settings.whatsapp, db, content)
        closers.append(transport.client.close)
        senders.append(OutboxSender(db, transport, sending_limits(settings.whatsapp.rate), mark))
    try:
        await asyncio.gather(*(sender.run(stop) for sender in senders))
    finally:
        for close in closers:
            await close()
        await asyncio.to_thread(mark.release)
