"""The network guard: loopback and Unix sockets work, anything else fails the test loudly."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import httpx
import pytest

from tests import network_guard
from tests.network_guard import NetworkBlocked

# TEST-NET-3 (RFC 5737): never routed, so even without the guard nothing would be sent there.
OUTSIDE = "203.0.113.7"


@pytest.fixture
def refusals_expected() -> Iterator[None]:
    """These tests try the network on purpose: what they record is theirs, not a failure."""
    yield
    assert network_guard.refused
    network_guard.refused.clear()


def test_a_connect_outside_this_machine_is_refused(refusals_expected: None) -> None:
    with socket.socket() as sock, pytest.raises(NetworkBlocked, match=OUTSIDE):
        sock.connect((OUTSIDE, 443))
    with socket.socket() as sock, pytest.raises(NetworkBlocked):
        sock.connect_ex((OUTSIDE, 80))


def test_http_clients_are_refused_too(refusals_expected: None) -> None:
    with pytest.raises(httpx.ConnectError):  # httpx wraps the refusal; the record still fails a careless test
        httpx.get(f"http://{OUTSIDE}/", timeout=2)
    assert any(OUTSIDE in address for address in network_guard.refused)


async def test_asyncio_connections_are_refused(refusals_expected: None) -> None:
    with pytest.raises(NetworkBlocked):
        await asyncio.open_connection(OUTSIDE, 443)


def test_loopback_is_allowed() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=2):
            pass
    assert network_guard.is_local(("::1", 80, 0, 0)) and network_guard.is_local("/run/postgresql/.s.PGSQL.5432")
    assert not network_guard.is_local(("example.org", 443))
