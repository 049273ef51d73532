"""Reminder benchmark (prints figures; not a test): 100,000 scheduled reminders in the APScheduler job store.

1. Plans N meetings (one persistent wake-up job each = one scheduled reminder), most of them weeks ahead, and a
   burst of meetings whose reminder falls a few seconds after the restart, with their members (as 500 groups of
   20 meeting at the same hour would).
2. Stops, then starts a fresh scheduler as a restarted process would: start-up time and memory (RSS).
3. Waits for the burst: firing lateness (outbox row written − reminder time), p50/p99, per reminder row.

    .venv/bin/python scripts/bench_reminders.py [--meetings 100000] [--burst 500] [--members 20] [--database-url URL]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, insert, select

from content.loader import load_content
from reminders.scheduler import ReminderScheduler
from store.db import Database
from store.models import ChannelIdentity, Group, Meeting, Membership, OutboxMessage, Person


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def populate(db: Database, meetings: int, burst: int, members: int, burst_start: datetime) -> None:
    """Bulk rows: groups, members with Telegram identities, meetings (not yet planned)."""
    with db.session() as session:
        far = Group(name="jauh", kind="PKH", invite_code="FAR000")
        session.add(far)
        session.flush()
        groups = [{"name": f"kelompok {i}", "kind": "PKH", "invite_code": f"B{i:05d}"} for i in range(burst)]
        session.execute(insert(Group), groups)
        group_ids = list(session.scalars(select(Group.id).where(Group.id != far.id).order_by(Group.id)))
        people = [{"role": "kpm", "in_directory": False} for _ in range(burst * members)]
        session.execute(insert(Person), people)
        person_ids = list(session.scalars(select(Person.id).order_by(Person.id)))
        session.execute(
            insert(ChannelIdentity),
            [{"person_id": pid, "channel": "telegram", "external_id": str(10_000_000 + pid)} for pid in person_ids],
        )
        session.execute(
            insert(Membership),
            [
                {"group_id": group_ids[n // members], "person_id": pid, "role": "anggota"}
                for n, pid in enumerate(person_ids)
            ],
        )
        local = burst_start.astimezone(UTC)
        near = {"recurrence": "once", "first_date": local.date(), "local_time": local.strftime("%H:%M")}
        rows = [{**near, "group_id": gid} for gid in group_ids]
        # Far meetings: monthly on every weekday and week, 09.00 in the three zones, from next month on.
        zones = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")
        first = date.today().replace(day=1) + timedelta(days=32)
        rows += [
            {
                "group_id": far.id,
                "recurrence": "monthly",
                "first_date": first.replace(day=1),
                "weekday": i % 7,
                "week_of_month": 1 + i % 4,
                "local_time": "09:00",
                "timezone": zones[i % 3],
            }
            for i in range(meetings - burst)
        ]
        defaults = {"timezone": "UTC", "place": "balai", "topic": "", "version": 1, "weekday": None}
        defaults |= {"week_of_month": None}
        session.execute(insert(Meeting), [{**defaults, **row} for row in rows])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meetings", type=int, default=100_000)
    parser.add_argument("--burst", type=int, default=500)
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="bench-reminders-")
    db = Database(args.database_url or f"sqlite:///{workdir}/bench.db")
    db.migrate()
    content = load_content()

    now = datetime.now(UTC)
    burst_start = (now + timedelta(minutes=10)).replace(second=0, microsecond=0)
    started = time.perf_counter()
    populate(db, args.meetings, args.burst, args.members, burst_start)
    print(
        f"rows: {args.meetings} meetings, {args.burst * args.members} members  ({time.perf_counter() - started:.1f} s)"
    )

    # The burst's reminder is due `lead` seconds after the restart below; planning takes a while, so it is fixed
    # after planning: offset = meeting start − due time.
    planner = ReminderScheduler(db, content, offsets=(timedelta(minutes=2),))
    planner.scheduler.start(paused=True)
    started = time.perf_counter()
    planned = planner.sync()
    print(f"initial planning: {planned} meetings → jobs in {time.perf_counter() - started:.1f} s")
    planner.scheduler.shutdown()
    planner.store.engine.dispose()

    with db.session() as session:
        jobs = session.scalar(select(func.count()).select_from(planner.store.jobs_t))
    print(f"scheduled reminders (persistent jobs): {jobs}")

    # The burst meetings' jobs are moved to fire shortly after the restart (as if their offset had changed).
    due_at = datetime.now(UTC) + timedelta(seconds=10)
    offset = burst_start - due_at
    with db.session() as session:
        session.execute(Meeting.__table__.update().where(Meeting.recurrence == "once").values(version=2))
    replanner = ReminderScheduler(db, content, offsets=(offset,))
    replanner.scheduler.start(paused=True)
    replanner.sync()
    replanner.scheduler.shutdown()
    replanner.store.engine.dispose()

    rss_before = rss_mb()
    scheduler = ReminderScheduler(db, content, offsets=(offset,), sync_every=timedelta(hours=1))
    started = time.perf_counter()
    assert scheduler.start()
    startup = time.perf_counter() - started
    print(f"start-up with {jobs} jobs: {startup:.2f} s; RSS {rss_before:.0f} → {rss_mb():.0f} MB")

    expected = args.burst * args.members
    deadline = time.monotonic() + 120
    count = select(func.count()).select_from(OutboxMessage)
    while time.monotonic() < deadline:
        with db.session() as session:
            if (session.scalar(count) or 0) >= expected:
                break
        time.sleep(0.5)
    time.sleep(0.5)
    with db.session() as session:
        written = list(session.scalars(select(OutboxMessage.created_at)))
    scheduler.stop()
    lateness = [((w if w.tzinfo else w.replace(tzinfo=UTC)) - due_at).total_seconds() for w in written]
    print(f"RSS after the burst: {rss_mb():.0f} MB")
    if not lateness:
        print("no reminder fired: FAIL")
        return 1
    print(
        f"burst of {args.burst} meetings × {args.members} members = {len(lateness)}/{expected} reminders; "
        f"lateness p50 {percentile(lateness, 50):.2f} s, p99 {percentile(lateness, 99):.2f} s, "
        f"max {max(lateness):.2f} s, mean {statistics.mean(lateness):.2f} s"
    )
    db.dispose()
    return 0 if len(lateness) == expected else 1


if __name__ == "__main__":
    raise SystemExit(main())
