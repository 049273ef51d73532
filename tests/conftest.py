"""Shared fixtures: a fresh database on SQLite and on PostgreSQL, the real NLU server, content; and the network
guard (tests/network_guard.py) that keeps every test on this machine."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from content.loader import Content, load_content
from nlu.client import NluClient
from nlu.rasa_env import RasaEnvironment
from store.db import Database
from tests import network_guard
from tests.scratch_db import migrated, scratch_postgres

ROOT = Path(__file__).resolve().parents[1]

# From the first import on, session fixtures included: no test reaches past this machine.
network_guard.install()


@pytest.fixture(autouse=True)
def no_network() -> Iterator[None]:
    """Fails the test that tried to reach the network, even when the code under test caught the refusal."""
    network_guard.refused.clear()
    yield
    if network_guard.refused:
        pytest.fail(f"the test tried to reach the network: {', '.join(network_guard.refused)}")


@contextlib.contextmanager
def fresh_database(kind: str, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty database; PostgreSQL gets a database of its own, dropped afterwards."""
    if kind == "sqlite":
        with migrated(f"sqlite:///{tmp_path / 'test.db'}") as db:
            yield db
        return
    with scratch_postgres("sahabat_test") as url, migrated(url) as db:
        yield db


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty database of each kind."""
    with fresh_database(request.param, tmp_path) as db:
        yield db


@pytest.fixture
def postgres_database(tmp_path: Path) -> Iterator[Database]:
    """For what only PostgreSQL supports (several processes on one database)."""
    with fresh_database("postgresql", tmp_path) as db:
        yield db


@pytest.fixture(scope="session")
def content() -> Content:
    return load_content()


@pytest.fixture(scope="session")
def rasa() -> RasaEnvironment:
    return RasaEnvironment(ROOT / ".venv-rasa")


@pytest.fixture(scope="session")
def nlu_url(rasa: RasaEnvironment) -> Iterator[str]:
    """One real Rasa server for the whole test session, on the model `make test` trained (or trains it)."""
    external = os.environ.get("SAHABAT_NLU_URL")
    if external:
        yield external
        return
    with rasa.serve(rasa.train(ROOT / "config.yml")) as server:
        yield server.url


@pytest.fixture(scope="session")
def nlu(nlu_url: str) -> Iterator[NluClient]:
    client = NluClient(nlu_url)
    yield client
    client.close()
