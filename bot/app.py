"""The composition root: reading this file tells every channel, service and background task the app runs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from aiohttp import web

from bot.channels import rest
from bot.dialogue import Router
from bot.settings import Settings
from content.loader import Content, load_content
from nlu.client import NluClient
from nlu.rasa_env import RasaEnvironment, RasaServer
from reminders.escalation import escalate_now
from reminders.scheduler import ReminderScheduler
from store.db import Database

log = logging.getLogger(__name__)
ESCALATION_EVERY = timedelta(minutes=5)


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


@contextlib.contextmanager
def services(settings: Settings) -> Iterator[Services]:
    content = load_content()
    db = Database(settings.database_url)
    db.migrate()
    with nlu_service(settings) as nlu_url:
        nlu = NluClient(nlu_url)
        scheduler = ReminderScheduler(db, content, offsets=settings.reminder_offsets)
        # Complaint deadlines: remind handlers before, move cases up a level after (idempotent: dedup keys).
        scheduler.add_periodic("complaint-escalation", lambda: escalate_now(db, content), ESCALATION_EVERY)
        try:
            yield Services(settings, db, content, nlu, Router(db, content, nlu), scheduler)
        finally:
            nlu.close()
            db.dispose()


NLU_KEY = web.AppKey("nlu", NluClient)


async def health(request: web.Request) -> web.Response:
    nlu: NluClient = request.app[NLU_KEY]
    ready = await asyncio.to_thread(nlu.ready)
    return web.json_response({"status": "ok" if ready else "nlu unavailable"}, status=200 if ready else 503)


def web_app(app_services: Services) -> web.Application:
    app = web.Application(client_max_size=1024 * 1024)
    app[NLU_KEY] = app_services.nlu
    app.router.add_get("/health", health)
    rest.add_routes(app, app_services.router)
    return app


async def serve(app_services: Services) -> None:
    """Serve every configured channel and run the scheduler (if this process leads) until SIGINT/SIGTERM."""
    scheduler = app_services.scheduler
    if scheduler is not None:
        leading = await asyncio.to_thread(scheduler.start)
        log.info("scheduler: %s", "running here" if leading else "another process leads; standing by")
    runner = web.AppRunner(web_app(app_services), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", app_services.settings.rest_port)
    await site.start()
    log.info("REST channel on http://127.0.0.1:%d/webhooks/rest/webhook", app_services.settings.rest_port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        if scheduler is not None:
            await asyncio.to_thread(scheduler.stop)
