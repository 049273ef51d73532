"""Reminder benchmark (prints figures; not a test): 100,000 planned reminders (meetings.remind_at).

1. Plans N meetings (one planned wake-up each = one scheduled reminder), most of them weeks ahead, and a burst of
   meetings whose reminder falls a few seconds after the restart, with their members (as 500 groups of 20 meeting
   at the same hour would).
2. Stops, then starts a fresh scheduler as a restarted process would: start-up time (which looks at every plan
   again) and memory (RSS).
3. Waits for the burst: per reminder row, how late it was ready to send (p50/p99): the later of its created_at
   (stamped just before its batch's INSERT) and its not_before, minus the reminder time. Reminders are written up
   to a minute ahead (reminders/planner.py, AHEAD), so a row is ready at its time unless writing took longer.

    .venv/bin/python scripts/bench_reminders.py [--meetings 100000] [--burst 500] [--members 20] [--database-url URL]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, insert, select, update

from common.enums import Channel
from content.loader import load_content
from reminders.planner import AHEAD
from reminders.scheduler import ReminderScheduler
from store import reach
from store.db import Database
from store.models import ChannelIdentity, Group, Meeting, Membership, OutboxMessage, Person

# The members are known on Telegram (no opt-in needed there), the one channel configured.
CHANNELS = reach.configured([Channel.TELEGRAM])


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite gives naive UTC back


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
        first = datetime.now(UTC).date().replace(day=1) + timedelta(days=32)
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
    planner = ReminderScheduler(db, content, offsets=(timedelta(minutes=2),), channels=CHANNELS)
    started = time.perf_counter()
    planned = planner.sync()
    print(f"initial planning: {planned} meetings → plans in {time.perf_counter() - started:.1f} s")
    planner.stop()

    with db.session() as session:
        plans = session.scalar(select(func.count()).where(Meeting.remind_at.is_not(None)))
    print(f"scheduled reminders (meetings with a remind_at): {plans}")

    # The burst meetings are moved to remind shortly after the restart (as if their offset had changed).
    # Later than AHEAD after the restart: the burst is written by the armed job, not by the start-up.
    due_at = datetime.now(UTC) + AHEAD + timedelta(seconds=20)
    offset = burst_start - due_at
    with db.session() as session:
        session.execute(update(Meeting).where(Meeting.recurrence == "once").values(version=2))
    replanner = ReminderScheduler(db, content, offsets=(offset,), channels=CHANNELS)
    replanner.sync()
    replanner.stop()

    rss_before = rss_mb()
    # No periodic sync here: bot/app.py registers that.
    scheduler = ReminderScheduler(db, content, offsets=(offset,), channels=CHANNELS)
    started = time.perf_counter()
    if not scheduler.start():
        raise RuntimeError("the scheduler could not take the lease")
    startup = time.perf_counter() - started
    print(f"start-up with {plans} plans: {startup:.2f} s; RSS {rss_before:.0f} → {rss_mb():.0f} MB")
    if datetime.now(UTC) > due_at - AHEAD:
        print("the restart took longer than the burst's lead: its lateness below includes the restart")
    print(f"waiting for the burst, due at {due_at:%H:%M:%S} UTC")

    expected = args.burst * args.members
    deadline = time.monotonic() + 120
    count = select(func.count()).select_from(OutboxMessage)
    while time.monotonic() < deadline:
        with db.session() as session:
            if (session.scalar(count) or 0) >= expected and datetime.now(UTC) > due_at:
                break
        time.sleep(0.05)
    with db.session() as session:
        rows = session.execute(select(OutboxMessage.created_at, OutboxMessage.not_before)).tuples().all()
    scheduler.stop()
    print(f"RSS after the burst: {rss_mb():.0f} MB")
    if not rows:
        print("no reminder fired: FAIL")
        return 1
    # A row is ready when it is written and its not_before has come; late = ready − the reminder time.
    lateness = [(max(aware(created), aware(ready)) - due_at).total_seconds() for created, ready in rows]
    ahead = [(due_at - aware(created)).total_seconds() for created, _ in rows]
    print(
        f"burst of {args.burst} meetings × {args.members} members = {len(lateness)}/{expected} reminders; "
        f"ready late by p50 {percentile(lateness, 50):.2f} s, p99 {percentile(lateness, 99):.2f} s, "
        f"max {max(lateness):.2f} s (written {min(ahead):.1f}–{max(ahead):.1f} s before the reminder time)"
    )
    db.dispose()
    return 0 if len(lateness) == expected else 1


if __name__ == "__main__":
    raise SystemExit(main())
