"""Settings from environment variables (ARCHITECTURE.md, "Configuration"); defaults run everything locally."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Settings:
    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'sahabat.db'}"
    nlu_url: str | None = None
    rest_port: int = 8080
    rasa_venv: Path = PROJECT_ROOT / ".venv-rasa"
    nlu_config: Path = PROJECT_ROOT / "config.yml"
    # When members are reminded before a meeting: the day before and two hours before.
    reminder_offsets: tuple[timedelta, ...] = (timedelta(days=1), timedelta(hours=2))

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        defaults = cls()
        return cls(
            database_url=env.get("SAHABAT_DATABASE_URL") or defaults.database_url,
            nlu_url=env.get("SAHABAT_NLU_URL") or None,
            rest_port=int(env.get("SAHABAT_REST_PORT") or defaults.rest_port),
            rasa_venv=Path(env.get("SAHABAT_RASA_VENV") or defaults.rasa_venv),
            reminder_offsets=parse_offsets(env.get("SAHABAT_REMINDER_OFFSETS") or "") or defaults.reminder_offsets,
        )


_OFFSET = re.compile(r"^(\d+)\s*([dhm])$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_offsets(raw: str) -> tuple[timedelta, ...]:
    """ "24h,2h" → (24 hours, 2 hours); "1d,30m" also works. Raises ValueError on anything else."""
    offsets = []
    for part in filter(None, (p.strip().lower() for p in raw.split(","))):
        match = _OFFSET.match(part)
        if match is None:
            raise ValueError(f"SAHABAT_REMINDER_OFFSETS: {part!r} is not like 24h, 2h, 1d or 30m")
        offsets.append(timedelta(**{_UNITS[match[2]]: int(match[1])}))
    return tuple(sorted(offsets, reverse=True))
