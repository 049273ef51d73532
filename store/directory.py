"""`sahabat admin import`: the directory from the spreadsheets facilitators already keep.

Each file is recognised by its header row; pendamping files are applied before anggota files whatever the order
given. Every row is checked first (store/directory_rows.py); then everything happens in the caller's transaction and
any problem raises, so it is all rows or none. Re-importing the same files changes nothing. With `dry_run` the
importer also lists each change, for the caller to show and roll back.

Imported channel identities are not an opt-in: a WhatsApp number from the spreadsheet is only written to once its
owner has written first, joined with a code or agreed (store/reach.py).
"""

from __future__ import annotations

import csv
import secrets
from collections import Counter
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from common.enums import Channel, GroupKind, RegionLevel, Role
from store.directory_rows import (
    DirectoryImportError,
    Line,
    MemberRow,
    StaffRow,
    read,
    validate,
)
from store.models import ChannelIdentity, Group, Membership, Person, Region

__all__ = ["INVITE_ALPHABET", "DirectoryImportError", "import_files"]

INVITE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


class Importer:
    def __init__(self, db: Session) -> None:
        self.db = db
        self.problems: list[str] = []
        self.counts: Counter[str] = Counter()
        self.changes: list[str] = []
        # Rows made by this import: their fields are set, not "changed".
        self._made: set[int] = set()

    def problem(self, line: Line, column: str, text: str) -> None:
        self.problems.append(line.problem(column, text))

    def _new(self, line: Line, made: object, kind: str, what: str) -> None:
        self._made.add(id(made))
        self.counts[kind] += 1
        self.changes.append(line.problem(None, f"new {kind}: {what}"))

    def _set(self, line: Line, target: object, kind: str, label: str, **values: object) -> None:
        changed = [name for name, value in values.items() if getattr(target, name) != value]
        for name in changed:
            setattr(target, name, values[name])
        if changed and id(target) not in self._made:
            self.counts[f"{kind} updated"] += 1
            self.changes.append(line.problem(None, f"{label}: {', '.join(changed)} changed"))

    def region(self, level: RegionLevel, name: str, parent: Region | None, zone: str | None) -> Region:
        parent_is = Region.parent_id == parent.id if parent else Region.parent_id.is_(None)
        found = self.db.scalar(select(Region).where(Region.level == level, Region.name == name, parent_is))
        timezone = zone or (parent.timezone if parent else "Asia/Jakarta")
        if found is None:
            found = Region(level=level, name=name, parent=parent, timezone=timezone)
            self.db.add(found)
            self.db.flush()
            self.counts["regions"] += 1
        elif zone and found.timezone != zone:
            found.timezone = zone
        return found

    def staff_region(self, row: StaffRow) -> Region:
        """The narrowest area the row names: a pendamping's kelurahan, a koordinator's kecamatan or kabupaten."""
        zone = row.zone
        province = self.region(RegionLevel.PROVINSI, row.provinsi, None, zone) if row.provinsi else None
        region = self.region(RegionLevel.KABUPATEN, row.kabupaten, province, zone)
        if row.kecamatan:
            region = self.region(RegionLevel.KECAMATAN, row.kecamatan, region, zone)
        if row.kelurahan:
            region = self.region(RegionLevel.KELURAHAN, row.kelurahan, region, zone)
        return region

    def link(self, line: Line, person: Person, row: StaffRow | MemberRow) -> None:
        for channel, column, external_id in (
            (Channel.TELEGRAM, "telegram_id", row.telegram_id),
            (Channel.WHATSAPP, "telepon", row.telepon),
        ):
            if not external_id:
                continue
            identity = self.db.scalar(
                select(ChannelIdentity).where(
                    ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id
                )
            )
            if identity is None:
                person.identities.append(ChannelIdentity(channel=channel, external_id=external_id))
            elif identity.person_id != person.id:
                self.problem(line, column, f"{external_id} already belongs to someone else")

    def staff(self, rows: list[tuple[Line, StaffRow]]) -> None:
        seen: dict[str, tuple[Line, StaffRow]] = {}
        for line, row in rows:
            if row.kode in seen:
                self.problem(line, "kode", f"{row.kode} also on line {seen[row.kode][0].number}")
                continue
            seen[row.kode] = (line, row)
            person = self.db.scalar(select(Person).where(Person.kode == row.kode))
            if person is None:
                person = Person(kode=row.kode, in_directory=True)
                self.db.add(person)
                self._new(line, person, row.peran, f"{row.kode} {row.nama}")
            region = self.staff_region(row)
            values = {"name": row.nama, "role": row.peran, "phone": row.telepon, "region": region}
            self._set(line, person, row.peran, row.kode, in_directory=True, **values)
            self.db.flush()
            self.link(line, person, row)
        for kode, (line, row) in seen.items():  # supervisors may come later in the file or already be in the database
            supervisor = None
            if row.koordinator:
                supervisor = self.db.scalar(select(Person).where(Person.kode == row.koordinator))
            if row.koordinator and supervisor is None:
                self.problem(line, "koordinator", f"{row.koordinator} is not a known kode")
            person = self.db.scalar(select(Person).where(Person.kode == kode))
            if person is not None:
                self._set(line, person, person.role, kode, supervisor=supervisor)

    def member_region(self, row: MemberRow, pendamping: Person) -> Region:
        candidates = list(
            self.db.scalars(select(Region).where(Region.level == RegionLevel.KELURAHAN, Region.name == row.kelurahan))
        )
        home = _kecamatan_of(pendamping.region)
        preferred = [r for r in candidates if home is not None and r.parent_id == home.id]
        if preferred or len(candidates) == 1:
            return (preferred or candidates)[0]
        return self.region(RegionLevel.KELURAHAN, row.kelurahan, home, row.zone)

    def members(self, rows: list[tuple[Line, MemberRow]]) -> None:
        for line, row in rows:
            pendamping = self.db.scalar(select(Person).where(Person.kode == row.pendamping))
            if pendamping is None:
                self.problem(line, "pendamping", f"{row.pendamping} is not a known kode")
                continue
            region = self.member_region(row, pendamping)
            group = self.group(line, row.kelompok, row.jenis, region, pendamping)
            person = self.member(line, row, group)
            values = {"name": row.nama, "phone": row.telepon, "pendamping": pendamping, "region": region}
            self._set(line, person, "anggota", row.nama, in_directory=True, **values)
            self.db.flush()
            membership = self.db.scalar(
                select(Membership).where(Membership.group_id == group.id, Membership.person_id == person.id)
            )
            if membership is None:
                self.db.add(Membership(group=group, person=person, role=row.peran))
            else:
                self._set(line, membership, "anggota", f"{row.nama} in {group.name}", role=row.peran)
            self.link(line, person, row)

    def group(self, line: Line, name: str, kind: GroupKind, region: Region, pendamping: Person) -> Group:
        group = self.db.scalar(
            select(Group).where(Group.kind == kind, Group.name == name, Group.region_id == region.id)
        )
        if group is None:
            group = Group(name=name, kind=kind, region_id=region.id, invite_code=self.invite_code())
            self.db.add(group)
            self._new(line, group, "groups", f"{kind} {name}")
        self._set(line, group, "groups", name, pendamping_id=pendamping.id)
        self.db.flush()
        return group

    def member(self, line: Line, row: MemberRow, group: Group) -> Person:
        query = (
            select(Person).where(Person.phone == row.telepon)
            if row.telepon
            else (
                select(Person)
                .join(Membership, Membership.person_id == Person.id)
                .where(Membership.group_id == group.id, Person.name == row.nama)
            )
        )
        person = self.db.scalars(query).first()
        if person is None:
            person = Person(role=Role.KPM, in_directory=True)
            self.db.add(person)
            self._new(line, person, "anggota", f"{row.nama} ({group.name})")
        return person

    def invite_code(self) -> str:
        while True:
            code = "".join(secrets.choice(INVITE_ALPHABET) for _ in range(6))
            if self.db.scalar(select(Group.id).where(Group.invite_code == code)) is None:
                return code

    def summary(self, dry_run: bool) -> str:
        c = self.counts
        text = (
            f"{'would import' if dry_run else 'imported'} {c['pendamping']} new pendamping, "
            f"{c['koordinator']} new koordinator, {c['admin']} new admin, {c['anggota']} new anggota, "
            f"{c['groups']} new groups, {c['regions']} new regions; "
            f"{'would update' if dry_run else 'updated'} "
            f"{c['pendamping updated'] + c['koordinator updated'] + c['admin updated']} staff, "
            f"{c['anggota updated']} anggota, {c['groups updated']} groups"
        )
        return "\n".join([*self.changes, text]) if dry_run else text


def _kecamatan_of(region: Region | None) -> Region | None:
    while region is not None and region.level != RegionLevel.KECAMATAN:
        region = region.parent
    return region


def _rows(paths: list[Path]) -> tuple[list[tuple[Line, StaffRow]], list[tuple[Line, MemberRow]]]:
    """Every row of every file, checked; raises DirectoryImportError with every problem found."""
    raw: dict[str, list[tuple[Line, dict[str, str]]]] = {"pendamping": [], "anggota": []}
    problems: list[str] = []
    for path in paths:
        try:
            kind, rows = read(path)
        except DirectoryImportError as error:
            problems += error.problems
            continue
        except (OSError, UnicodeDecodeError, csv.Error) as error:
            problems.append(Line(path.name, 1).problem(None, f"cannot read: {error}"))
            continue
        raw[kind] += rows
    staff, staff_problems = validate(StaffRow, raw["pendamping"])
    members, member_problems = validate(MemberRow, raw["anggota"])
    problems += staff_problems + member_problems
    if problems:
        raise DirectoryImportError(problems)
    return staff, members


def import_files(db: Session, paths: list[Path], dry_run: bool = False) -> str:
    """Imports the files into the caller's transaction and says what changed (with `dry_run`, each change as well:
    the caller rolls back). Raises DirectoryImportError with every problem found; then nothing was changed."""
    staff, members = _rows(paths)
    importer = Importer(db)
    importer.staff(staff)
    importer.members(members)
    if importer.problems:
        raise DirectoryImportError(importer.problems)
    return importer.summary(dry_run)
