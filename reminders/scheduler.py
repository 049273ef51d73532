"""The one scheduler: APScheduler 3.11, run by exactly one app process.

Jobs only write outbox rows; the outbox sender does the sending (docs/architecture.md, "Scheduling").

- The plan lives in the database, not in APScheduler: each meeting's next wake-up is `meetings.remind_at`
  (reminders/planner.py). One APScheduler job, `reminders-due`, waits for the earliest of them; when it fires, every
  meeting due writes its reminder in bulk and the job is set again for the next earliest. Planning 100,000 meetings
  is then a few bulk UPDATEs, not 100,000 pickled jobs, and a burst of thousands of reminders one transaction a batch.
- Meetings change in whichever process the ketua wrote to; each change bumps `Meeting.version`. A periodic sync
  re-plans every meeting whose version the scheduler has not planned yet, so changes and cancellations reach the
  one scheduler within `sync_every`, whichever process made them.
- Periodic jobs (the meeting sync, the broadcast watcher, the complaint escalation, the digest) are registered by
  bot/app.py with `add_periodic`, in a memory job store: they belong to the code, not to the data.
- Only the holder of the scheduler lease runs jobs (reminders/leader.py); losing it pauses the scheduler, and every
  job checks the lease before it runs.
- A reminder missed while no process ran is written at start: the plan, not APScheduler, decides whether it is
  still useful.
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
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_PAUSED, STATE_RUNNING

from content.loader import Content
from reminders import broadcast_watch, meetings
from reminders.leader import LEASE, Leadership
from reminders.planner import AHEAD, Planner
from store.db import Database
from store.reach import Channels

log = logging.getLogger(__name__)

DUE_JOB = "reminders-due"
# The scheduler running in this process (set by start, cleared by stop; one scheduler per process).
_RUNNING: ReminderScheduler | None = None


class ReminderScheduler:
    def __init__(
        self,
        db: Database,
        content: Content,
        offsets: tuple[timedelta, ...] = meetings.DEFAULT_OFFSETS,
        lease: timedelta = LEASE,
        clock: Callable[[], datetime] | None = None,
        *,
        channels: Channels,
    ) -> None:
        self.db, self.content, self.offsets = db, content, offsets
        self.planner = Planner(db, content, offsets, channels)
        # One arming at a time, each from what is committed: the job is never left at a stale, later time.
        self._arming = threading.Lock()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.leadership = Leadership(db, lease)
        self.scheduler = BackgroundScheduler(
            jobstores={"default": MemoryJobStore(), "periodic": MemoryJobStore()},
            executors={"default": ThreadPoolExecutor(4)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=UTC,
        )
        self._periodic: dict[str, tuple[Callable[[], object], timedelta]] = {}

    # -- lifecycle: bot/app.py calls start, then keep_lead every `lead_every` seconds, then stop -----------------

    def add_periodic(self, name: str, job: Callable[[], object], every: timedelta) -> None:
        """Runs `job()` every `every` in the leading process only (bot/app.py registers them all)."""
        self._periodic[name] = (job, every)
        if self.scheduler.running:
            self._add_periodic_job(name)

    def _add_periodic_job(self, name: str) -> None:
        job, every = self._periodic[name]
        self.scheduler.add_job(
            self._fenced(job),
            "interval",
            seconds=every.total_seconds(),
            id=name,
            jobstore="periodic",
            replace_existing=True,
        )

    def _fenced(self, job: Callable[[], object]) -> Callable[[], object]:
        """A job runs only while the lease is surely ours: after a pause (or a dropped connection) longer than the
        lease, jobs due at the moment the process wakes must not run before keep_lead notices the loss."""

        def run() -> object:
            return job() if self.leading else None

        return run

    @property
    def lead_every(self) -> float:
        return self.leadership.renew_every

    def start(self) -> bool:
        """Starts scheduling if this process can take the lease. True if leading; else keep_lead tries again."""
        return self.keep_lead()

    def keep_lead(self) -> bool:
        """Renews the lease (or tries to take it) and starts, pauses or resumes scheduling to match."""
        global _RUNNING
        leading = self.leadership.try_acquire()
        if leading and not self.scheduler.running:
            _RUNNING = self
            # Started first, so jobs missed while no process ran fire now; then meetings changed meanwhile are planned.
            self.scheduler.start()
            self._caught_up()
            log.info("scheduler started (this process leads as %s)", self.leadership.holder)
        elif leading and self.scheduler.state == STATE_PAUSED:
            _RUNNING = self
            self.scheduler.resume()
            self._caught_up()
            log.info("scheduler resumed (this process leads again)")
        elif not leading and self.scheduler.state == STATE_RUNNING:
            self.scheduler.pause()
            log.warning("scheduler paused: the lease is lost (another process leads, or the database is away)")
        return leading

    def _caught_up(self) -> None:
        self.sync(repair=True)
        for name in self._periodic:
            self._add_periodic_job(name)

    def stop(self) -> None:
        global _RUNNING
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        if _RUNNING is self:
            _RUNNING = None
        self.leadership.release()

    @property
    def leading(self) -> bool:
        return self.leadership.held

    # -- meetings ---------------------------------------------------------------------------------------------

    def sync(self, repair: bool = False) -> int:
        """Plans every meeting changed since it was last planned; with `repair` (at start), also writes what came
        due while no process ran. Returns how many meetings were planned."""
        now = self.clock()
        changed = self.planner.plan(now)
        if repair:
            self.planner.fire(now)
        self._arm()
        return changed

    def fire(self) -> int:
        """The `reminders-due` job: writes every reminder due within AHEAD, then waits for the next one."""
        written = self.planner.fire(self.clock())
        self._arm()
        return written

    def wake(self, meeting_id: int) -> None:
        """Plans one meeting now and writes its due reminder (also before its planned time)."""
        self.planner.wake(meeting_id, self.clock())
        self._arm()

    def _arm(self) -> None:
        """Sets the `reminders-due` job AHEAD of the earliest planned wake-up, measured on this scheduler's clock."""
        with self._arming:
            earliest = self.planner.next_wake()
            if earliest is None:
                with contextlib.suppress(JobLookupError):
                    self.scheduler.remove_job(DUE_JOB, jobstore="default")
                return
            delay = max(timedelta(0), earliest - AHEAD - self.clock())
            self.scheduler.add_job(
                self._fenced(self.fire),
                "date",
                run_date=datetime.now(UTC) + delay,
                id=DUE_JOB,
                jobstore="default",
                replace_existing=True,
            )

    def next_wake(self, meeting_id: int) -> datetime | None:
        return self.planner.next_wake(meeting_id)

    # -- broadcasts -------------------------------------------------------------------------------------------

    def watch_broadcasts(self) -> int:
        return broadcast_watch.watch(self.db, self.content, self.clock())
