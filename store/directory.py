"""`sahabat admin import`: the directory from the spreadsheets facilitators already keep.

Each file is recognised by its header row; pendamping files are applied before anggota files whatever the order
given. Everything happens in the caller's transaction and any problem raises, so it is all rows or none.
Re-importing the same files changes nothing.
"""

from __future__ import annotations

import csv
import secrets
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import ChannelIdentity, Group, Membership, Person, Region
from store.privacy import mask_personal_numbers

PENDAMPING = ("kode", "nama", "peran", "telepon", "telegram_id", "koordinator", "kabupaten", "kecamatan", "kelurahan")
ANGGOTA = ("kelompok", "jenis", "nama", "peran", "telepon", "telegram_id", "pendamping", "kelurahan")
OPTIONAL = ("provinsi", "zona_waktu")
ZONES = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}
INVITE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


class DirectoryImportError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Row:
    file: str
    line: int
    values: dict[str, str]

    def __getitem__(self, column: str) -> str:
        return self.values.get(column, "").strip()

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@cache
def province_zones() -> dict[str, str]:
    data = yaml.safe_load(Path(__file__).with_name("provinces.yml").read_text(encoding="utf-8"))
    return {province.lower(): zone for zone, provinces in data.items() for province in provinces}


def normalize_phone(raw: str) -> str | None:
    """6281234567890 from 081234567890, +62 812-3456-7890 or 6281234567890; None if it is not a phone number."""
    digits = "".join(ch for ch in raw if ch.isdigit())
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    return digits if digits.startswith("628") and 10 <= len(digits) <= 15 else None


def read(path: Path) -> tuple[str, list[Row]]:
    """Which kind of file this is (by its header row), and its rows."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = tuple(h.strip().lower() for h in reader.fieldnames or ())
        reader.fieldnames = list(header)
        rows = [Row(path.name, number, row) for number, row in enumerate(reader, start=2) if any(row.values())]
    for kind, columns in (("pendamping", PENDAMPING), ("anggota", ANGGOTA)):
        if set(columns) <= set(header) and set(header) <= set(columns) | set(OPTIONAL):
            return kind, rows
    raise DirectoryImportError([f"{path.name}:1: unrecognised header {','.join(header)}"])


class Importer:
    def __init__(self, db: Session) -> None:
        self.db = db
        self.problems: list[str] = []
        self.counts: Counter[str] = Counter()

    def problem(self, row: Row, text: str) -> None:
        self.problems.append(f"{row.where}: {mask_personal_numbers(text)}")

    def _set(self, target: object, kind: str, **values: object) -> None:
        changed = [name for name, value in values.items() if getattr(target, name) != value]
        for name in changed:
            setattr(target, name, values[name])
        if changed:
            self.counts[f"{kind} updated"] += 1

    def region(self, level: str, name: str, parent: Region | None, zone: str | None) -> Region:
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

    def zone(self, row: Row) -> str | None:
        if row["zona_waktu"]:
            zone = ZONES.get(row["zona_waktu"].upper())
            if zone is None:
                self.problem(row, f"zona_waktu {row['zona_waktu']!r} is not WIB, WITA or WIT")
            return zone
        if row["provinsi"]:
            zone = province_zones().get(row["provinsi"].lower().removeprefix("provinsi ").strip())
            if zone is None:
                self.problem(row, f"unknown provinsi {row['provinsi']!r}")
            return zone
        return None

    def staff_region(self, row: Row) -> Region:
        zone = self.zone(row)
        province = self.region("provinsi", row["provinsi"], None, zone) if row["provinsi"] else None
        kabupaten = self.region("kabupaten", row["kabupaten"], province, zone)
        kecamatan = self.region("kecamatan", row["kecamatan"], kabupaten, zone)
        return self.region("kelurahan", row["kelurahan"], kecamatan, zone)

    def link(self, row: Row, person: Person, channel: str, external_id: str) -> None:
        identity = self.db.scalar(
            select(ChannelIdentity).where(
                ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id
            )
        )
        if identity is None:
            person.identities.append(ChannelIdentity(channel=channel, external_id=external_id))
        elif identity.person_id != person.id:
            self.problem(row, f"{channel} {external_id} already belongs to someone else")

    def contact(self, row: Row) -> tuple[str | None, str | None, bool]:
        phone = normalize_phone(row["telepon"]) if row["telepon"] else None
        ok = True
        if row["telepon"] and phone is None:
            self.problem(row, f"telepon {row['telepon']!r} is not a phone number (e.g. 6281234567890)")
            ok = False
        telegram = row["telegram_id"] or None
        if telegram is not None and not telegram.isdigit():
            self.problem(row, f"telegram_id {telegram!r} must be digits")
            ok = False
        return phone, telegram, ok

    def required(self, row: Row, columns: tuple[str, ...]) -> bool:
        missing = [c for c in columns if not row[c]]
        if missing:
            self.problem(row, f"missing {', '.join(missing)}")
        return not missing

    def pendamping(self, rows: list[Row]) -> None:
        seen: dict[str, Row] = {}
        for row in rows:
            if not self.required(row, ("kode", "nama", "peran", "kabupaten", "kecamatan", "kelurahan")):
                continue
            role = row["peran"].lower()
            # admin: Dinas Sosial staff, who take complaints at the top of the escalation chain.
            if role not in {"pendamping", "koordinator", "admin"}:
                self.problem(row, f"peran {row['peran']!r} must be pendamping, koordinator or admin")
                continue
            if row["kode"] in seen:
                self.problem(row, f"kode {row['kode']} also on line {seen[row['kode']].line}")
                continue
            seen[row["kode"]] = row
            phone, telegram, ok = self.contact(row)
            if not ok:
                continue
            person = self.db.scalar(select(Person).where(Person.kode == row["kode"]))
            if person is None:
                person = Person(kode=row["kode"], in_directory=True)
                self.db.add(person)
                self.counts[role] += 1
            self._set(
                person, role, name=row["nama"], role=role, phone=phone, region=self.staff_region(row), in_directory=True
            )
            self.db.flush()
            for channel, external_id in (("telegram", telegram), ("whatsapp", phone)):
                if external_id:
                    self.link(row, person, channel, external_id)
        for kode, row in seen.items():  # supervisors may come later in the file or already be in the database
            supervisor = (
                self.db.scalar(select(Person).where(Person.kode == row["koordinator"])) if row["koordinator"] else None
            )
            if row["koordinator"] and supervisor is None:
                self.problem(row, f"koordinator {row['koordinator']} is not a known kode")
            person = self.db.scalar(select(Person).where(Person.kode == kode))
            if person is not None:
                self._set(person, person.role, supervisor=supervisor)

    def member_region(self, row: Row, pendamping: Person) -> Region:
        candidates = list(
            self.db.scalars(select(Region).where(Region.level == "kelurahan", Region.name == row["kelurahan"]))
        )
        home = pendamping.region.parent if pendamping.region else None
        preferred = [r for r in candidates if home is not None and r.parent_id == home.id]
        if preferred or len(candidates) == 1:
            return (preferred or candidates)[0]
        return self.region("kelurahan", row["kelurahan"], home, self.zone(row))

    def anggota(self, rows: list[Row]) -> None:
        for row in rows:
            if not self.required(row, ("kelompok", "jenis", "nama", "peran", "pendamping", "kelurahan")):
                continue
            kind, role = row["jenis"].upper(), row["peran"].lower()
            if kind not in {"PKH", "KUBE"} or role not in {"anggota", "ketua"}:
                self.problem(row, "jenis must be PKH or KUBE and peran anggota or ketua")
                continue
            pendamping = self.db.scalar(select(Person).where(Person.kode == row["pendamping"]))
            if pendamping is None:
                self.problem(row, f"pendamping {row['pendamping']} is not a known kode")
                continue
            phone, telegram, ok = self.contact(row)
            if not ok:
                continue
            region = self.member_region(row, pendamping)
            group = self.group(row["kelompok"], kind, region, pendamping)
            person = self.member(row, phone, group)
            self._set(
                person,
                "anggota",
                name=row["nama"],
                phone=phone,
                pendamping=pendamping,
                region=region,
                in_directory=True,
            )
            self.db.flush()
            membership = self.db.scalar(
                select(Membership).where(Membership.group_id == group.id, Membership.person_id == person.id)
            )
            if membership is None:
                self.db.add(Membership(group=group, person=person, role=role))
            else:
                self._set(membership, "anggota", role=role)
            for channel, external_id in (("telegram", telegram), ("whatsapp", phone)):
                if external_id:
                    self.link(row, person, channel, external_id)

    def group(self, name: str, kind: str, region: Region, pendamping: Person) -> Group:
        group = self.db.scalar(
            select(Group).where(Group.kind == kind, Group.name == name, Group.region_id == region.id)
        )
        if group is None:
            group = Group(name=name, kind=kind, region_id=region.id, invite_code=self.invite_code())
            self.db.add(group)
            self.counts["groups"] += 1
        self._set(group, "groups", pendamping_id=pendamping.id)
        self.db.flush()
        return group

    def member(self, row: Row, phone: str | None, group: Group) -> Person:
        query = (
            select(Person).where(Person.phone == phone)
            if phone
            else (
                select(Person)
                .join(Membership, Membership.person_id == Person.id)
                .where(Membership.group_id == group.id, Person.name == row["nama"])
            )
        )
        person = self.db.scalars(query).first()
        if person is None:
            person = Person(role="kpm", in_directory=True)
            self.db.add(person)
            self.counts["anggota"] += 1
        return person

    def invite_code(self) -> str:
        while True:
            code = "".join(secrets.choice(INVITE_ALPHABET) for _ in range(6))
            if self.db.scalar(select(Group.id).where(Group.invite_code == code)) is None:
                return code


def import_files(db: Session, paths: list[Path]) -> str:
    """Imports the files into the caller's transaction; raises DirectoryImportError with every problem found."""
    importer = Importer(db)
    files: dict[str, list[Row]] = {"pendamping": [], "anggota": []}
    problems: list[str] = []
    for path in paths:
        try:
            kind, rows = read(path)
        except DirectoryImportError as error:
            problems += error.problems
            continue
        except (OSError, UnicodeDecodeError, csv.Error) as error:
            problems.append(f"{path.name}:1: cannot read: {error}")
            continue
        files[kind] += rows
    if problems:
        raise DirectoryImportError(problems)
    importer.pendamping(files["pendamping"])
    importer.anggota(files["anggota"])
    if importer.problems:
        raise DirectoryImportError(importer.problems)
    c = importer.counts
    return (
        f"imported {c['pendamping']} new pendamping, {c['koordinator']} new koordinator, {c['anggota']} new anggota, "
        f"{c['groups']} new groups, {c['regions']} new regions; "
        f"updated {c['pendamping updated'] + c['koordinator updated']} staff, {c['anggota updated']} anggota, "
        f"{c['groups updated']} groups"
    )
