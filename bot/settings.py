"""Settings from environment variables (ARCHITECTURE.md, "Configuration"); defaults run everything locally."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Settings:
    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'sahabat.db'}"
    nlu_url: str | None = None
    rest_port: int = 8080
    rasa_venv: Path = PROJECT_ROOT / ".venv-rasa"
    nlu_config: Path = PROJECT_ROOT / "config.yml"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        defaults = cls()
        return cls(
            database_url=env.get("SAHABAT_DATABASE_URL") or defaults.database_url,
            nlu_url=env.get("SAHABAT_NLU_URL") or None,
            rest_port=int(env.get("SAHABAT_REST_PORT") or defaults.rest_port),
            rasa_venv=Path(env.get("SAHABAT_RASA_VENV") or defaults.rasa_venv),
        )
