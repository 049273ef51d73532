"""Starting the Rasa server: it is asked for /status until a model is loaded; a server that exits or never answers
fails with the reason instead of hanging (nlu/rasa_env.py, `RasaServer`). A stand-in process plays Rasa here."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from nlu.rasa_env import RasaEnvironment, RasaError, RasaServer, free_port


def server_running(tmp_path: Path, code: str, port: int | None = None) -> RasaServer:
    server = RasaServer(
        RasaEnvironment(tmp_path / "venv", root=tmp_path), tmp_path / "model.tar.gz", port or free_port()
    )
    server.log_path.parent.mkdir(parents=True, exist_ok=True)
    server.log_path.write_text("the stand-in's log\n")
    server._process = subprocess.Popen([sys.executable, "-c", code])
    return server


class _Status(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"model_file": "model.tar.gz"}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def status_port() -> Iterator[int]:
    http = HTTPServer(("127.0.0.1", 0), _Status)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield int(http.server_address[1])
    http.shutdown()
    http.server_close()


def test_a_server_with_its_model_loaded_is_ready(tmp_path: Path, status_port: int) -> None:
    server = server_running(tmp_path, "import time; time.sleep(30)", status_port)
    try:
        server._wait_until_ready(timeout=10)
    finally:
        server.stop()


def test_a_server_that_exits_fails_with_its_code(tmp_path: Path) -> None:
    server = server_running(tmp_path, "raise SystemExit(3)")
    with pytest.raises(RasaError, match=r"exited \(code 3\)"):
        server._wait_until_ready(timeout=10)
    server.stop()


def test_a_server_that_never_answers_is_stopped(tmp_path: Path) -> None:
    server = server_running(tmp_path, "import time; time.sleep(30)")
    with pytest.raises(RasaError, match="did not answer within 1 s"):
        server._wait_until_ready(timeout=1)
    assert server._process is None  # stopped, not left running
