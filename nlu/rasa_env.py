"""Running Rasa from its own virtualenv: train a model (only when its inputs changed) and serve it over HTTP."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml
from tenacity import Retrying, retry_if_exception_type, stop_after_delay, wait_fixed

PROJECT_ROOT = Path(__file__).resolve().parents[1]
TRAINING_DATA = PROJECT_ROOT / "nlu" / "data"
# The question catalogue (content/catalogue/*.yml): its examples are the training examples of the retrieval intents
# `<intent>/<topic id>`. They stay in content/ (one source of truth); training writes them into Rasa's input.
CATALOGUE = PROJECT_ROOT / "content" / "catalogue"
# Everything a trained model depends on; a change to any of these gives a new model name.
_MODEL_INPUTS = ("nlu/data", "nlu/normalizer.py", "nlu/lexicon.yml", "nlu/rasa", "nlu/requirements-rasa.txt")


class RasaError(RuntimeError):
    pass


class _NotReady(Exception):
    """The server runs but has no model loaded yet (or does not answer yet): ask again."""


def _rasa_process_env(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="2",
        PYTHONPATH=str(root),
        # Rasa's own SQLAlchemy/APScheduler must not see the app's database settings.
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
    )
    return env


@dataclass(frozen=True)
class RasaEnvironment:
    venv: Path
    root: Path = PROJECT_ROOT
    models_dir: Path = field(default=PROJECT_ROOT / "models")
    # None: train on `data` alone (the NLU benchmark hands over a split it built itself).
    catalogue: Path | None = CATALOGUE

    @property
    def rasa(self) -> Path:
        return self.venv / "bin" / "rasa"

    def check(self) -> None:
        if not self.rasa.exists():
            raise RasaError(f"Rasa is not installed in {self.venv}; run `make install` first.")

    def model_hash(self, config: Path, data: Path = TRAINING_DATA) -> str:
        digest = hashlib.sha256()
        paths = [config.resolve(), data.resolve()] + [self.root / p for p in _MODEL_INPUTS]
        if self.catalogue is not None:
            paths.append(self.catalogue.resolve())
        for base in paths:
            files = sorted(p for p in base.rglob("*") if p.is_file()) if base.is_dir() else [base]
            for path in files:
                if "__pycache__" in path.parts:
                    continue
                digest.update(str(path.relative_to(base.parent)).encode())
                digest.update(path.read_bytes())
        return digest.hexdigest()[:16]

    def model_path(self, config: Path, data: Path = TRAINING_DATA) -> Path:
        return self.models_dir / f"nlu-{config.stem}-{self.model_hash(config, data)}.tar.gz"

    def train(self, config: Path, data: Path = TRAINING_DATA, *, force: bool = False) -> Path:
        """Train an NLU model unless one for exactly these inputs exists; returns its path."""
        target = self.model_path(config, data)
        if target.exists() and not force:
            return target
        self.check()
        name = target.name.removesuffix(".tar.gz")
        build = write_training_input(data, self.catalogue, self.models_dir / "input" / name)
        command = [
            str(self.rasa),
            "train",
            "nlu",
            "--config",
            str(config),
            "--nlu",
            str(build / "data"),
            "--domain",
            str(build / "domain.yml"),
            "--out",
            str(self.models_dir),
            "--fixed-model-name",
            name,
        ]
        completed = subprocess.run(command, cwd=self.root, env=_rasa_process_env(self.root), check=False)
        shutil.rmtree(build, ignore_errors=True)
        if completed.returncode != 0 or not target.exists():
            raise RasaError(f"rasa train nlu failed (exit {completed.returncode})")
        return target

    def run(self, args: list[str]) -> subprocess.CompletedProcess[bytes]:
        """Run another `rasa` subcommand (e.g. `test nlu`) in the project root."""
        self.check()
        return subprocess.run([str(self.rasa), *args], cwd=self.root, env=_rasa_process_env(self.root), check=False)

    def serve(self, model: Path, port: int | None = None) -> RasaServer:
        self.check()
        return RasaServer(self, model, port or free_port())


def catalogue_blocks(catalogue: Path) -> list[dict[str, str]]:
    """The catalogue's topics as Rasa NLU blocks: `- intent: <intent>/<id>` with the topic's examples."""
    blocks = []
    for path in sorted(catalogue.glob("*.yml")):
        for topic in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("topics", []):
            examples = "".join(f"- {example}\n" for example in topic["examples"])
            blocks.append({"intent": f"{topic['intent']}/{topic['id']}", "examples": examples})
    return blocks


def write_training_input(data: Path, catalogue: Path | None, out: Path) -> Path:
    """What `rasa train nlu` reads: `data/` (nlu/data plus the catalogue as `catalogue.yml`) and a `domain.yml`
    naming every intent and one response per retrieval label (`utter_<intent>/<topic>`, as Rasa's FAQ convention
    expects; the app never sends them: its answers come from content/). `rasa data validate` runs on it as is."""
    shutil.rmtree(out, ignore_errors=True)
    (out / "data").mkdir(parents=True)
    for path in sorted(data.glob("*.yml")):
        shutil.copy(path, out / "data" / path.name)
    if catalogue is not None:
        document = {"version": "3.1", "nlu": catalogue_blocks(catalogue)}
        (out / "data" / "catalogue.yml").write_text(_yaml(document), encoding="utf-8")
    labels: list[str] = []
    for path in sorted((out / "data").glob("*.yml")):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
            if "intent" in block and block["intent"] not in labels:
                labels.append(block["intent"])
    intents = sorted({label.split("/")[0] for label in labels})
    responses = {f"utter_{label}": [{"text": label.split("/")[1]}] for label in labels if "/" in label}
    domain = {"version": "3.1", "intents": intents, "responses": responses}
    (out / "domain.yml").write_text(_yaml(domain), encoding="utf-8")
    return out


def _yaml(document: object) -> str:
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=200)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RasaServer:
    """A `rasa run --enable-api` child process on a loopback port; stopped with the context or `stop()`."""

    def __init__(self, env: RasaEnvironment, model: Path, port: int) -> None:
        self.env = env
        self.model = model
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._process: subprocess.Popen[bytes] | None = None
        self.log_path = env.root / "var" / f"rasa-{port}.log"

    def start(self, timeout: float = 180.0) -> RasaServer:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        command = [
            str(self.env.rasa),
            "run",
            "--enable-api",
            "--model",
            str(self.model),
            "--interface",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        self._process = subprocess.Popen(
            command, cwd=self.env.root, env=_rasa_process_env(self.env.root), stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        self._wait_until_ready(timeout)
        return self

    def _wait_until_ready(self, timeout: float) -> None:
        """Asks for /status every half second until a model is loaded; a server that exits or stays silent fails."""
        try:
            for attempt in Retrying(
                retry=retry_if_exception_type(_NotReady),
                wait=wait_fixed(0.5),
                stop=stop_after_delay(timeout),
                reraise=True,
            ):
                with attempt:
                    self._check_ready()
        except _NotReady:
            self.stop()
            raise RasaError(f"the Rasa server did not answer within {timeout:.0f} s; see {self.log_path}") from None

    def _check_ready(self) -> None:
        if self._process is None:
            raise RasaError("the Rasa server was stopped while starting")
        if self._process.poll() is not None:
            tail = self.log_path.read_text(errors="replace")[-2000:]
            raise RasaError(f"the Rasa server exited (code {self._process.returncode}):\n{tail}")
        try:
            status = httpx.get(f"{self.url}/status", timeout=2.0)
            if status.status_code == 200 and json.loads(status.text).get("model_file"):
                return
        except (httpx.HTTPError, ValueError) as error:
            raise _NotReady from error
        raise _NotReady

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None

    def __enter__(self) -> RasaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
