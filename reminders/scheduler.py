"""The one scheduler: APScheduler 3.11 with its SQLAlchemy job store, run by exactly one app process.

Jobs only write outbox rows; the outbox sender does the sending (ARCHITECTURE.md, "Scheduling").

- Each active meeting has one persistent job, `meeting:<id>`, that wakes at its next reminder time. Waking writes
  the reminder that is due (reminders.recurrence.plan decides: after downtime only the latest useful one, none for
  a meeting that has started) and schedules the next wake-up.
- Meetings change in whichever process the ketua wrote to; each change bumps `Meeting.version`. A periodic sync
  re-plans every meeting whose version the scheduler has not planned yet, so changes and cancellations reach the
  one scheduler within `sync_every`, whichever process made them.
- Periodic jobs (the meeting sync, the broadcast watcher, the complaint escalation) are registered in code at every
  start with `add_periodic`, in a memory job store: they belong to the code, not to the data.
- A job missed while no process ran is run late at start (no misfire limit): the plan, not APScheduler, decides
  whether a reminder is still useful.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from common.enums import Recurrence
from content.loader import Content
from reminders import broadcast_watch, meetings
from reminders.leader import Leadership
from reminders.recurrence import plan
from store.db import Database, make_engine
from store.models import Meeting

log = logging.getLogger(__name__)

JOBS_TABLE = "scheduler_jobs"
# APScheduler stores a job's function by its import path: the running scheduler is how that function finds the
# database and content (set by start, cleared by stop; one scheduler per process).
_RUNNING: ReminderScheduler | None = None


def wake_meeting(meeting_id: int) -> None:
    """The persistent job's function (stored by reference as "reminders.scheduler:wake_meeting")."""
    if _RUNNING is not None:
        _RUNNING.wake(meeting_id)


class ReminderScheduler:
    def __init__(
        self,
        db: Database,
        content: Content,
        offsets: tuple[timedelta, ...] = meetings.DEFAULT_OFFSETS,
        sync_every: timedelta = timedelta(seconds=10),
        watch_every: timedelta = timedelta(seconds=5),
        retry_leadership_every: timedelta = timedelta(seconds=15),
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.db, self.content, self.offsets = db, content, offsets
        self.clock = clock or (lambda: datetime.now(UTC))
        self.leadership = Leadership(db.engine)
        self.retry_every = retry_leadership_every
        # An engine of its own: APScheduler disposes its job store's engine when it shuts down.
        self.store = SQLAlchemyJobStore(engine=make_engine(db.url), tablename=JOBS_TABLE)
        self.scheduler = BackgroundScheduler(
            jobstores={"default": self.store, "periodic": MemoryJobStore()},
            executors={"default": ThreadPoolExecutor(4)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=UTC,
        )
        self._periodic: dict[str, tuple[Callable[[], object], timedelta]] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._retry: threading.Thread | None = None
        self.add_periodic("meetings-sync", self.sync, sync_every)
        self.add_periodic("broadcasts-watch", self.watch_broadcasts, watch_every)

    # -- lifecycle --------------------------------------------------------------------------------------------

    def add_periodic(self, name: str, job: Callable[[], object], every: timedelta) -> None:
        """Runs `job()` every `every` in the leading process only (e.g. the complaint escalation)."""
        self._periodic[name] = (job, every)
        if self.scheduler.running:
            self._add_periodic_job(name)

    def _add_periodic_job(self, name: str) -> None:
        job, every = self._periodic[name]
        self.scheduler.add_job(
            job, "interval", seconds=every.total_seconds(), id=name, jobstore="periodic", replace_existing=True
        )

    def start(self) -> bool:
        """Starts scheduling if this process leads; otherwise keeps trying in the background. True if leading."""
        if self._try_lead():
            return True
        log.info("another process runs the scheduler; trying again every %s", self.retry_every)
        self._retry = threading.Thread(target=self._retry_loop, name="scheduler-leadership", daemon=True)
        self._retry.start()
        return False

    def _try_lead(self) -> bool:
        global _RUNNING
        if not self.leadership.try_acquire():
            return False
        _RUNNING = self
        # Started first, so jobs missed while no process ran fire now; then meetings changed meanwhile are planned.
        self.scheduler.start()
        self.sync(repair=True)
        for name in self._periodic:
            self._add_periodic_job(name)
        log.info("scheduler started (this process leads)")
        return True

    def _retry_loop(self) -> None:
        while not self._stopping.wait(self.retry_every.total_seconds()):
            try:
                if self._try_lead():
                    return
            except Exception:
                log.exception("could not take the scheduler lead")

    def stop(self) -> None:
        global _RUNNING
        self._stopping.set()
        if self._retry is not None:
            self._retry.join(timeout=5)
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        # APScheduler's thread looks at the job store once more after disposing its engine on shutdown.
        self.store.engine.dispose()
        if _RUNNING is self:
            _RUNNING = None
        self.leadership.release()

    @property
    def leading(self) -> bool:
        return self.leadership.held

    # -- meetings ---------------------------------------------------------------------------------------------

    def sync(self, repair: bool = False) -> int:
        """Plans every meeting changed since it was last planned; with `repair`, also every active meeting that
        has lost its job (e.g. the job table was emptied). Returns how many meetings were planned."""
        now = self.clock()
        with self._lock:
            with self.db.session() as db:
                query = select(Meeting).where(
                    or_(Meeting.scheduled_version.is_(None), Meeting.scheduled_version != Meeting.version)
                )
                changed = list(db.scalars(query))
                if repair:
                    changed += self._without_job(db, now, {m.id for m in changed})
                wakes: dict[int, datetime | None] = {}
                for meeting in changed:
                    if meeting.scheduled_version is not None:  # changed or cancelled: queued reminders are stale
                        meetings.cancel_pending(db, meeting.id)
                    wakes[meeting.id] = self._plan(db, meeting, now)
            self._apply(wakes)
            return len(changed)

    def _without_job(self, db: Session, now: datetime, skip: set[int]) -> list[Meeting]:
        self.store.jobs_t.create(db.connection(), checkfirst=True)
        with_job = set(db.scalars(select(self.store.jobs_t.c.id)))
        recently = (now - timedelta(days=2)).date()
        active = select(Meeting.id).where(
            Meeting.cancelled_at.is_(None), or_(Meeting.recurrence != Recurrence.ONCE, Meeting.first_date >= recently)
        )
        missing = [i for i in db.scalars(active) if i not in skip and job_id(i) not in with_job]
        return [m for m in (db.get(Meeting, i) for i in missing) if m is not None]

    def wake(self, meeting_id: int) -> None:
        now = self.clock()
        with self._lock:
            with self.db.session() as db:
                meeting = db.get(Meeting, meeting_id)
                wake_at = None if meeting is None else self._plan(db, meeting, now)
            self._apply({meeting_id: wake_at})

    def _plan(self, db: Session, meeting: Meeting, now: datetime) -> datetime | None:
        """Writes the reminder due now, if any; returns when to wake next for this meeting (None: never)."""
        meeting.scheduled_version = meeting.version
        if meeting.cancelled_at is not None:
            return None
        planned = plan(meetings.rule_of(meeting), now, self.offsets)
        if planned.due is not None:
            sent = meetings.enqueue_reminders(db, self.content, meeting, planned.due, now)
            log.info("meeting %d: %d reminder(s) %s for %s", meeting.id, sent, planned.due.kind, planned.due.key)
        return planned.wake_at

    def _apply(self, wakes: dict[int, datetime | None]) -> None:
        """Job changes go in after the meeting's transaction has committed: the job store has its own connection
        (on SQLite it would wait for our own write lock). A crash in between leaves a meeting without its job,
        which `sync(repair=True)` at the next start finds."""
        for meeting_id, wake_at in wakes.items():
            if wake_at is None:
                self._unschedule(meeting_id)
                continue
            self.scheduler.add_job(
                "reminders.scheduler:wake_meeting",
                "date",
                run_date=wake_at,
                args=[meeting_id],
                id=job_id(meeting_id),
                jobstore="default",
                replace_existing=True,
            )

    def _unschedule(self, meeting_id: int) -> None:
        with contextlib.suppress(JobLookupError):
            self.scheduler.remove_job(job_id(meeting_id), jobstore="default")

    def next_wake(self, meeting_id: int) -> datetime | None:
        job = self.scheduler.get_job(job_id(meeting_id), jobstore="default")
        return None if job is None else job.next_run_time

    # -- broadcasts -------------------------------------------------------------------------------------------

    def watch_broadcasts(self) -> int:
        return broadcast_watch.watch(self.db, self.content, self.clock())


def job_id(meeting_id: int) -> str:
    return f"meeting:{meeting_id}"
