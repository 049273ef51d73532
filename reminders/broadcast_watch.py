"""The broadcast watcher (a periodic job): keeps each sender's progress message current and, once every row of a
broadcast is final, closes it and sends the sender the report.

The progress message is an outbox row (kind "progress", body["progress_of"] = broadcast id). While it is still
pending its text is simply updated. Once sent, each new count is enqueued as an edit of it: body["edit_of"] holds
the platform id of the message to edit (Telegram editMessageText). A channel that cannot edit messages should mark
such rows sent without sending them, so a long broadcast does not become a stream of messages.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from common.enums import OutboxKind, OutboxStatus
from common.messages import Reply
from content.loader import Content
from reminders import wording
from store import broadcasts, outbox
from store.db import Database
from store.models import Broadcast, OutboxMessage


def progress_key(broadcast_id: int) -> str:
    return f"broadcast:{broadcast_id}:progress"


def watch(db: Database, content: Content, now: datetime) -> int:
    """One pass over the broadcasts being sent; returns how many were closed."""
    closed = 0
    with db.session() as session:
        for broadcast in broadcasts.sending(session):
            counts = broadcasts.tally(session, broadcast.id)
            progress = session.scalar(
                select(OutboxMessage).where(OutboxMessage.dedup_key == progress_key(broadcast.id))
            )
            if progress is not None:
                _update_progress(
                    session, progress, wording.progress_text(content, broadcast, counts), counts[OutboxStatus.SENT]
                )
            if broadcasts.finish(broadcast, counts, now):
                closed += 1
                _report(session, content, broadcast, progress)
    return closed


def _update_progress(session: Session, progress: OutboxMessage, text: str, sent: int) -> None:
    shown = Reply.from_body(progress.body)
    if progress.status == OutboxStatus.PENDING:
        progress.body = replace(shown, text=text).as_body()
    elif progress.status == OutboxStatus.SENT and progress.platform_id and shown.text != text:
        outbox.enqueue(
            session,
            channel=progress.channel,
            recipient=progress.recipient,
            message=Reply(text, edit_of=progress.platform_id),
            kind=OutboxKind.PROGRESS,
            dedup_key=f"{progress.dedup_key}:{sent}",
            person_id=progress.person_id,
        )


def _report(session: Session, content: Content, broadcast: Broadcast, progress: OutboxMessage | None) -> None:
    """The final report goes where the progress message went (the sender's channel)."""
    if progress is None:
        return
    outbox.enqueue(
        session,
        channel=progress.channel,
        recipient=progress.recipient,
        message=Reply(wording.report_text(content, broadcast)),
        kind=OutboxKind.PROGRESS,
        dedup_key=f"broadcast:{broadcast.id}:report",
        person_id=progress.person_id,
    )
