"""No test reaches the network: a socket connecting anywhere but this machine (loopback, or a Unix socket) fails.

Installed for the whole session by tests/conftest.py. The refused call raises `NetworkBlocked`, and in case the code
under test swallows that (a sender retrying, a channel logging and going on), the test is failed at its teardown
anyway. Child processes (the app in test_app_channels, the replicas) and C clients (libpq) are not covered: they are
only ever given loopback addresses.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any

# Every refused address since the test started; conftest's autouse fixture fails the test when it is not empty.
refused: list[str] = []


class NetworkBlocked(OSError):
    """A test tried to reach a machine other than this one (an OSError, so clients close their sockets as on any
    connection failure)."""


def is_local(address: Any) -> bool:
    if not isinstance(address, tuple):  # AF_UNIX: a path
        return True
    host = str(address[0])
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:  # a host name other than localhost: it would be looked up, and leave the machine
        return False


def _guarded(connect: Callable[..., Any]) -> Callable[..., Any]:
    def guarded(self: socket.socket, address: Any) -> Any:
        if not is_local(address):
            refused.append(repr(address))
            raise NetworkBlocked(f"tests may not reach the network: connect to {address!r}")
        return connect(self, address)

    return guarded


_installed: list[bool] = []


def install() -> None:
    """Guards `socket.socket.connect` and `connect_ex` (asyncio, httpx, aiohttp and urllib all go through them)."""
    if _installed:
        return
    for name in ("connect", "connect_ex"):
        setattr(socket.socket, name, _guarded(getattr(socket.socket, name)))
    _installed.append(True)
