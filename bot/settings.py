"""Settings from environment variables (ARCHITECTURE.md, "Configuration"); defaults run everything locally."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from common.enums import OutboxKind

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class SettingsError(ValueError):
    """A configuration that cannot work (e.g. a Telegram webhook without its secret)."""


@dataclass(frozen=True)
class TelegramSettings:
    token: str
    # python-telegram-bot's base_url: the token is appended ("http://127.0.0.1:8081/bot" → ".../bot<token>/getMe").
    api_base_url: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None
    # The bot's sending rate, msg/s: Telegram's ~30/s for one bot, replies and everything else together.
    rate: float = 30.0


@dataclass(frozen=True)
class WhatsAppSettings:
    token: str
    phone_number_id: str
    app_secret: str
    verify_token: str
    api_base_url: str = "https://graph.facebook.com/v21.0"
    rate: float = 80.0
    # Approved message templates for messages outside the 24-hour customer-service window, by outbox kind.
    templates: dict[OutboxKind, str] = field(default_factory=dict)
    template_language: str = "id"


@dataclass(frozen=True)
class Settings:
    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'sahabat.db'}"
    nlu_url: str | None = None
    rest_port: int = 8080
    rasa_venv: Path = PROJECT_ROOT / ".venv-rasa"
    nlu_config: Path = PROJECT_ROOT / "config.yml"
    # When members are reminded before a meeting: the day before and two hours before.
    reminder_offsets: tuple[timedelta, ...] = (timedelta(days=1), timedelta(hours=2))
    telegram: TelegramSettings | None = None
    whatsapp: WhatsAppSettings | None = None
    # Where people open this app's pages (the dashboard's sign-in links); None = this machine's loopback address.
    public_url: str | None = None

    @property
    def site_url(self) -> str:
        """SAHABAT_PUBLIC_URL without a trailing slash, else http://127.0.0.1:<SAHABAT_REST_PORT>."""
        return (self.public_url or f"http://127.0.0.1:{self.rest_port}").rstrip("/")

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
            telegram=_telegram(env),
            whatsapp=_whatsapp(env),
            public_url=env.get("SAHABAT_PUBLIC_URL") or None,
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


def _telegram(env: dict[str, str]) -> TelegramSettings | None:
    token = env.get("TELEGRAM_BOT_TOKEN")
    if not token:
        return None
    webhook_url, secret = env.get("TELEGRAM_WEBHOOK_URL") or None, env.get("TELEGRAM_WEBHOOK_SECRET") or None
    if webhook_url and not secret:
        # Without the secret anyone who finds the URL could post updates in a person's name.
        raise SettingsError("TELEGRAM_WEBHOOK_URL needs TELEGRAM_WEBHOOK_SECRET")
    rate = float(env.get("TELEGRAM_RATE") or TelegramSettings.rate)
    return TelegramSettings(token, env.get("TELEGRAM_API_BASE_URL") or None, webhook_url, secret, rate)


WHATSAPP_REQUIRED = ("WHATSAPP_TOKEN", "WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN")
# Outbox kind → the environment variable naming its template.
WHATSAPP_TEMPLATE_VARIABLES = {
    OutboxKind.REMINDER: "WHATSAPP_TEMPLATE_REMINDER",
    OutboxKind.BROADCAST: "WHATSAPP_TEMPLATE_NOTICE",
    OutboxKind.ESCALATION: "WHATSAPP_TEMPLATE_NOTICE",
    OutboxKind.COMPLAINT: "WHATSAPP_TEMPLATE_NOTICE",
    OutboxKind.ANSWER: "WHATSAPP_TEMPLATE_NOTICE",
    OutboxKind.QUESTION: "WHATSAPP_TEMPLATE_NOTICE",
}


def _whatsapp(env: dict[str, str]) -> WhatsAppSettings | None:
    present = [name for name in WHATSAPP_REQUIRED if env.get(name)]
    if not present:
        return None
    if len(present) < len(WHATSAPP_REQUIRED):
        missing = sorted(set(WHATSAPP_REQUIRED) - set(present))
        raise SettingsError(f"WhatsApp is half configured: {', '.join(missing)} missing")
    templates = {kind: env[name] for kind, name in WHATSAPP_TEMPLATE_VARIABLES.items() if env.get(name)}
    return WhatsAppSettings(
        token=env["WHATSAPP_TOKEN"],
        phone_number_id=env["WHATSAPP_PHONE_NUMBER_ID"],
        app_secret=env["WHATSAPP_APP_SECRET"],
        verify_token=env["WHATSAPP_VERIFY_TOKEN"],
        api_base_url=(env.get("WHATSAPP_API_BASE_URL") or WhatsAppSettings.api_base_url).rstrip("/"),
        rate=float(env.get("WHATSAPP_RATE") or WhatsAppSettings.rate),
        templates=templates,
        template_language=env.get("WHATSAPP_TEMPLATE_LANGUAGE") or "id",
    )
