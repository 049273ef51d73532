"""`sahabat admin import` on SQLite and PostgreSQL: all rows or none, idempotent, problems as file:line and column,
koordinator and admin rows without a kelurahan, and a dry run that only says what would change."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.cli import main
from store.db import Database
from store.directory import INVITE_ALPHABET, DirectoryImportError, import_files
from store.models import ChannelIdentity, Group, Membership, Person, Region
from store.phones import normalize_phone

DATA = Path(__file__).parent / "data" / "directory"
TABLES = (Person, Region, Group, Membership, ChannelIdentity)


def counts(database: Database) -> dict[str, int]:
    with database.session() as db:
        return {t.__tablename__: db.scalar(select(func.count()).select_from(t)) or 0 for t in TABLES}


def run(database: Database, *names: str) -> str:
    with database.session() as db:
        return import_files(db, [DATA / name for name in names])


def test_import_in_either_order_and_again_changes_nothing(database: Database) -> None:
    summary = run(database, "anggota.csv", "pendamping.csv")
    assert "3 new pendamping, 1 new koordinator, 0 new admin, 4 new anggota, 3 new groups" in summary
    first = counts(database)
    assert first["people"] == 8 and first["groups"] == 3 and first["memberships"] == 5
    again = run(database, "pendamping.csv", "anggota.csv")
    assert "0 new pendamping" in again and "updated 0 staff, 0 anggota, 0 groups" in again
    assert counts(database) == first


def test_links_roles_time_zones_and_identities(database: Database) -> None:
    run(database, "pendamping.csv", "anggota.csv")
    with database.session() as db:
        rina = db.scalars(select(Person).where(Person.kode == "PD001")).one()
        assert rina.role == "pendamping" and rina.supervisor is not None and rina.supervisor.kode == "KO01"
        assert rina.phone == "6281234567001" and rina.region is not None and rina.region.timezone == "Asia/Jakarta"
        siti = db.scalars(select(Person).where(Person.name == "Siti Aminah")).one()
        assert siti.pendamping_id == rina.id and siti.in_directory
        roles = {(m.group.name, m.role) for m in db.scalars(select(Membership).where(Membership.person_id == siti.id))}
        assert roles == {("Melati 1", "ketua"), ("Maju Bersama", "anggota")}
        assert {(i.channel, i.external_id) for i in siti.identities} == {
            ("telegram", "7001"),
            ("whatsapp", "6281234560001"),
        }
        maria = db.scalars(select(Person).where(Person.name == "Maria Kogoya")).one()
        assert maria.region is not None and maria.region.timezone == "Asia/Jayapura"
        codes = list(db.scalars(select(Group.invite_code)))
        assert len(set(codes)) == 3 and all(len(c) == 6 and set(c) <= set(INVITE_ALPHABET) for c in codes)


def test_a_changed_name_is_updated_on_reimport(database: Database, tmp_path: Path) -> None:
    run(database, "pendamping.csv", "anggota.csv")
    changed = tmp_path / "anggota.csv"
    changed.write_text((DATA / "anggota.csv").read_text().replace("Nurhayati", "Nurhayati Rahman"), encoding="utf-8")
    shutil.copy(DATA / "pendamping.csv", tmp_path / "pendamping.csv")
    with database.session() as db:
        summary = import_files(db, [tmp_path / "pendamping.csv", changed])
    assert "updated 0 staff, 1 anggota" in summary
    with database.session() as db:
        assert db.scalar(select(Person.name).where(Person.phone == "6281234560002")) == "Nurhayati Rahman"


def test_every_problem_is_reported_with_its_column_and_nothing_is_written(database: Database) -> None:
    with pytest.raises(DirectoryImportError) as error:
        run(database, "pendamping.csv", "anggota_rusak.csv")
    problems = error.value.problems
    assert [p.split(":")[1] for p in problems] == ["2", "3", "4", "5", "6", "6"]
    assert all(p.startswith("anggota_rusak.csv:") for p in problems)
    columns = [p.split(":")[2].strip() for p in problems]
    assert columns == [f"column {c}" for c in ("peran", "jenis", "telepon", "telegram_id", "kelompok", "nama")]
    assert "'bos' is not anggota or ketua" in problems[0] and "'ARISAN' is not PKH or KUBE" in problems[1]
    assert "12345" in problems[2]  # short numbers are shown; a real phone number never is
    assert counts(database) == dict.fromkeys(counts(database), 0)


def test_a_pendamping_unknown_to_the_directory_names_its_column(database: Database, tmp_path: Path) -> None:
    unknown = tmp_path / "anggota.csv"
    unknown.write_text(
        "kelompok,jenis,nama,peran,telepon,telegram_id,pendamping,kelurahan\n"
        "Melati 1,PKH,Siti,anggota,081234560009,,PD999,Pasar Bengkulu\n",
        encoding="utf-8",
    )
    with database.session() as db, pytest.raises(DirectoryImportError) as error:
        import_files(db, [DATA / "pendamping.csv", unknown])
    assert error.value.problems == ["anggota.csv:2: column pendamping: PD999 is not a known kode"]


STAFF_HEADER = "kode,nama,peran,telepon,telegram_id,koordinator,kabupaten,kecamatan,kelurahan,provinsi\n"


def test_koordinator_and_admin_rows_need_no_kelurahan(database: Database, tmp_path: Path) -> None:
    """Field bug: a koordinator covers a kecamatan or a kabupaten, an admin (Dinas Sosial) a kabupaten; their rows
    were refused for an empty kelurahan, and every pendamping under them failed after."""
    staff = tmp_path / "pendamping.csv"
    staff.write_text(
        STAFF_HEADER + "KAB1,Hendra,koordinator,,,,Kota Bengkulu,,,Bengkulu\n"
        "KEC1,Dewi,koordinator,,,KAB1,Kota Bengkulu,Sungai Serut,,Bengkulu\n"
        "DS01,Dinas Sosial Kota,admin,,,,Kota Bengkulu,,,Bengkulu\n"
        "PD1,Rina,pendamping,,,KEC1,Kota Bengkulu,Sungai Serut,Pasar Bengkulu,Bengkulu\n",
        encoding="utf-8",
    )
    with database.session() as db:
        summary = import_files(db, [staff])
    assert "1 new pendamping, 2 new koordinator, 1 new admin" in summary
    with database.session() as db:
        levels = {p.kode: (p.region.level, p.region.name) for p in db.scalars(select(Person)) if p.region}
        rina = db.scalars(select(Person).where(Person.kode == "PD1")).one()
        assert rina.supervisor is not None and rina.supervisor.kode == "KEC1"
    assert levels == {
        "KAB1": ("kabupaten", "Kota Bengkulu"),
        "KEC1": ("kecamatan", "Sungai Serut"),
        "DS01": ("kabupaten", "Kota Bengkulu"),
        "PD1": ("kelurahan", "Pasar Bengkulu"),
    }


def test_a_pendamping_still_needs_her_kelurahan(database: Database, tmp_path: Path) -> None:
    staff = tmp_path / "pendamping.csv"
    staff.write_text(
        STAFF_HEADER + "KO1,Dewi,koordinator,,,,Kota Bengkulu,,,Bengkulu\n"
        "PD1,Rina,pendamping,,,KO1,Kota Bengkulu,Sungai Serut,,Bengkulu\n"
        "KO2,Budi,koordinator,,,,Kota Bengkulu,,Sawah Lebar,Bengkulu\n",
        encoding="utf-8",
    )
    with database.session() as db, pytest.raises(DirectoryImportError) as error:
        import_files(db, [staff])
    assert [p.split(":")[1:3] for p in error.value.problems] == [
        ["3", " column kelurahan"],
        ["4", " column kelurahan"],  # a kelurahan needs its kecamatan
    ]
    assert counts(database) == dict.fromkeys(counts(database), 0)


def test_an_unknown_header_is_refused(database: Database, tmp_path: Path) -> None:
    odd = tmp_path / "daftar.csv"
    odd.write_text("nama,alamat\nSiti,Jl. Melati\n", encoding="utf-8")
    with database.session() as db, pytest.raises(DirectoryImportError, match=r"daftar.csv:1: unrecognised header"):
        import_files(db, [odd])


def test_phone_numbers_are_normalised() -> None:
    assert normalize_phone("0812-3456-7890") == normalize_phone("+62 812 3456 7890") == "6281234567890"
    assert normalize_phone("6281234567890") == "6281234567890"  # as WhatsApp names the sender
    assert normalize_phone("12345") is None
    assert normalize_phone("021-1234567") is None  # a landline gets no WhatsApp message


def test_the_command_line(
    database: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SAHABAT_DATABASE_URL", database.url)
    assert main(["admin", "import", str(DATA / "pendamping.csv"), str(DATA / "anggota.csv")]) == 0
    assert "new anggota" in capsys.readouterr().out
    assert main(["admin", "import", str(DATA / "anggota_rusak.csv")]) == 1
    err = capsys.readouterr().err
    assert "anggota_rusak.csv:2:" in err and "081234560001" not in err


def test_a_dry_run_prints_what_would_change_and_changes_nothing(
    database: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("SAHABAT_DATABASE_URL", database.url)
    files = [str(DATA / "pendamping.csv"), str(DATA / "anggota.csv")]
    assert main(["admin", "import", "--dry-run", *files]) == 0
    out = capsys.readouterr().out
    assert "pendamping.csv:2: new pendamping: PD001 Rina Wulandari" in out
    assert "anggota.csv:3: new anggota: Nurhayati (Melati 1)" in out
    assert "would import 3 new pendamping, 1 new koordinator, 0 new admin, 4 new anggota" in out
    assert counts(database) == dict.fromkeys(counts(database), 0)
    assert main(["admin", "import", *files]) == 0
    changed = tmp_path / "anggota.csv"
    changed.write_text((DATA / "anggota.csv").read_text().replace("Nurhayati", "Nurhayati Rahman"), encoding="utf-8")
    capsys.readouterr()
    assert main(["admin", "import", "--dry-run", str(DATA / "pendamping.csv"), str(changed)]) == 0
    out = capsys.readouterr().out
    assert "anggota.csv:3: Nurhayati Rahman: name changed" in out and "would update 0 staff, 1 anggota" in out
    with database.session() as db:
        assert db.scalar(select(Person.name).where(Person.phone == "6281234560002")) == "Nurhayati"
