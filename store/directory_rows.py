"""The directory's spreadsheet rows, each checked on its own by a pydantic model before anything is written: a
refused row names its file, line and column. Checks that need other rows or the database (a kode used twice, an
unknown pendamping) are the importer's (store/directory.py)."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, ValidationInfo, field_validator

from common.enums import GroupKind, MemberRole, Role
from store.phones import normalize_phone
from store.privacy import mask_personal_numbers

PENDAMPING = ("kode", "nama", "peran", "telepon", "telegram_id", "koordinator", "kabupaten", "kecamatan", "kelurahan")
ANGGOTA = ("kelompok", "jenis", "nama", "peran", "telepon", "telegram_id", "pendamping", "kelurahan")
OPTIONAL = ("provinsi", "zona_waktu")
ZONES = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}
Kind = Literal["pendamping", "anggota"]


class DirectoryImportError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Line:
    """Where a row came from: every problem names it."""

    file: str
    number: int

    def problem(self, column: str | None, text: str) -> str:
        where = f"{self.file}:{self.number}:" + (f" column {column}:" if column else "")
        return f"{where} {mask_personal_numbers(text)}"


@cache
def province_zones() -> dict[str, str]:
    data = yaml.safe_load(Path(__file__).with_name("provinces.yml").read_text(encoding="utf-8"))
    return {province.lower(): zone for zone, provinces in data.items() for province in provinces}


def _text(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _blank_is_none(value: Any) -> Any:
    value = _text(value)
    return None if value == "" else value


def _phone(value: Any) -> str | None:
    raw = _blank_is_none(value)
    if raw is None:
        return None
    phone = normalize_phone(str(raw))
    if phone is None:
        raise ValueError(f"{raw!r} is not a mobile phone number (e.g. 081234567890)")
    return phone


def _telegram_id(value: Any) -> str | None:
    raw = _blank_is_none(value)
    if raw is not None and not str(raw).isdigit():
        raise ValueError(f"{raw!r} must be digits (the Telegram user id)")
    return raw if raw is None else str(raw)


def _zone(value: Any) -> str | None:
    raw = _blank_is_none(value)
    if raw is None:
        return None
    zone = ZONES.get(str(raw).upper())
    if zone is None:
        raise ValueError(f"{raw!r} is not WIB, WITA or WIT")
    return zone


def _province(value: Any) -> str | None:
    raw = _blank_is_none(value)
    if raw is not None and str(raw).lower().removeprefix("provinsi ").strip() not in province_zones():
        raise ValueError(f"unknown provinsi {raw!r}")
    return raw if raw is None else str(raw)


E = TypeVar("E", Role, MemberRole, GroupKind)


def _one_of(*allowed: E) -> Callable[[Any], E]:
    def check(value: Any) -> E:
        for option in allowed:
            if str(_text(value)).lower() == option.lower():
                return option
        names = [f"{option.value}" for option in allowed]
        raise ValueError(f"{_text(value)!r} is not {', '.join(names[:-1])} or {names[-1]}")

    return check


def _required(value: Any) -> Any:
    value = _text(value)
    if value == "" or value is None:
        raise ValueError("is empty")
    return value


Required = Annotated[str, BeforeValidator(_required)]
Optional = Annotated[str | None, BeforeValidator(_blank_is_none)]
Phone = Annotated[str | None, BeforeValidator(_phone)]
TelegramId = Annotated[str | None, BeforeValidator(_telegram_id)]
Zone = Annotated[str | None, BeforeValidator(_zone)]
Province = Annotated[str | None, BeforeValidator(_province)]


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    telepon: Phone = None
    telegram_id: TelegramId = None
    provinsi: Province = None
    zona_waktu: Zone = None

    @property
    def zone(self) -> str | None:
        """zona_waktu if given, else the province's."""
        if self.zona_waktu is not None:
            return self.zona_waktu
        if self.provinsi is not None:
            return province_zones()[self.provinsi.lower().removeprefix("provinsi ").strip()]
        return None


class StaffRow(_Row):
    """pendamping.csv. A pendamping works in kelurahan; a koordinator covers a kecamatan or a whole kabupaten, and an
    admin (Dinas Sosial staff, the top of the escalation chain) a kabupaten: neither needs a kelurahan."""

    kode: Required
    nama: Required
    peran: Annotated[Role, BeforeValidator(_one_of(Role.PENDAMPING, Role.KOORDINATOR, Role.ADMIN))]
    koordinator: Optional = None
    kabupaten: Required
    kecamatan: Optional = None
    kelurahan: Optional = None

    @field_validator("kecamatan", "kelurahan")
    @classmethod
    def _covered(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None:
            if info.field_name == "kelurahan" and info.data.get("kecamatan") is None and "kecamatan" in info.data:
                raise ValueError("a kelurahan needs its kecamatan")
            return value
        if info.data.get("peran") == Role.PENDAMPING:
            raise ValueError("is empty (a pendamping works in a kelurahan of a kecamatan)")
        return None


class MemberRow(_Row):
    """anggota.csv: one row per membership (a member of two groups has two rows)."""

    kelompok: Required
    jenis: Annotated[GroupKind, BeforeValidator(_one_of(GroupKind.PKH, GroupKind.KUBE))]
    nama: Required
    peran: Annotated[MemberRole, BeforeValidator(_one_of(MemberRole.ANGGOTA, MemberRole.KETUA))]
    pendamping: Required
    kelurahan: Required


Model = TypeVar("Model", StaffRow, MemberRow)


def _message(error: Any) -> str:
    if error["type"] == "value_error":
        return str(error["ctx"]["error"])
    if error["type"] == "missing":
        return "is missing"
    return str(error["msg"])


def validate(
    model: type[Model], rows: Iterable[tuple[Line, dict[str, str]]]
) -> tuple[list[tuple[Line, Model]], list[str]]:
    """The rows that passed, and a problem for each column of each row that did not."""
    good: list[tuple[Line, Model]] = []
    problems: list[str] = []
    for line, values in rows:
        try:
            good.append((line, model.model_validate(values)))
        except ValidationError as error:
            for detail in error.errors():
                column = str(detail["loc"][0]) if detail["loc"] else None
                problems.append(line.problem(column, _message(detail)))
    return good, problems


def read(path: Path) -> tuple[Kind, list[tuple[Line, dict[str, str]]]]:
    """Which kind of file this is (by its header row), and its non-empty rows by line number."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = tuple(h.strip().lower() for h in reader.fieldnames or ())
        reader.fieldnames = list(header)
        rows = [
            (Line(path.name, number), {k: v or "" for k, v in row.items() if k is not None})
            for number, row in enumerate(reader, start=2)
            if any(row.values())
        ]
    kinds: tuple[tuple[Kind, tuple[str, ...]], ...] = (("pendamping", PENDAMPING), ("anggota", ANGGOTA))
    for kind, columns in kinds:
        if set(columns) <= set(header) and set(header) <= set(columns) | set(OPTIONAL):
            return kind, rows
    raise DirectoryImportError([Line(path.name, 1).problem(None, f"unrecognised header {','.join(header)}")])
