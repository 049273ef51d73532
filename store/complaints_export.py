"""`sahabat admin complaints export`: one row per complaint, for the programme's own reporting."""

from __future__ import annotations

import csv
from datetime import datetime
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import Complaint
from store.workdays import as_utc

COLUMNS = (
    "ticket",
    "category",
    "status",
    "assignee_kode",
    "escalation_level",
    "created_at",
    "first_response_due",
    "resolution_due",
    "resolved_at",
)


def _when(moment: datetime | None) -> str:
    return as_utc(moment).isoformat(timespec="seconds") if moment is not None else ""


def export_csv(db: Session, out: TextIO) -> int:
    """Writes the CSV (times in UTC, ISO 8601; an empty assignee_kode is the Dinas Sosial queue); returns the
    number of complaints written. No names, numbers or stories: the export leaves the system."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    count = 0
    for complaint in db.scalars(select(Complaint).order_by(Complaint.id)):
        writer.writerow(
            [
                complaint.ticket,
                complaint.category,
                complaint.status,
                complaint.assignee.kode if complaint.assignee and complaint.assignee.kode else "",
                complaint.escalation_level,
                _when(complaint.created_at),
                _when(complaint.first_response_due),
                _when(complaint.resolution_due),
                _when(complaint.resolved_at),
            ]
        )
        count += 1
    return count
