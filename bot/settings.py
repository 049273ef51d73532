"""Settings from environment variables (docs/architecture.md, "Configuration"); defaults run everything locally.

pydantic-settings reads and checks the variables (`Environment`); the app gets plain frozen dataclasses built from them,
which tests may also build directly."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

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
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """The process environment, or `env` read as if it were the environment. Raises SettingsError naming the
        variable when a value is malformed or a combination cannot work."""
        try:
            raw = Environment() if env is None else Environment.model_validate({k: v for k, v in env.items() if v})
        except ValidationError as error:
            raise SettingsError(_describe(error)) from None
        defaults = cls()
        return cls(
            database_url=raw.database_url or defaults.database_url,
            nlu_url=raw.nlu_url,
            rest_port=raw.rest_port,
            rasa_venv=raw.rasa_venv or defaults.rasa_venv,
            reminder_offsets=raw.reminder_offsets or defaults.reminder_offsets,
            telegram=_telegram(raw),
            whatsapp=_whatsapp(raw),
            public_url=raw.public_url,
        )


class Environment(BaseSettings):
    """The environment variables as pydantic-settings reads them (unset or empty → the default)."""

    model_config = SettingsConfigDict(extra="ignore", env_ignore_empty=True, frozen=True)

    database_url: str | None = Field(None, alias="SAHABAT_DATABASE_URL")
    nlu_url: str | None = Field(None, alias="SAHABAT_NLU_URL")
    rest_port: int = Field(Settings.rest_port, ge=1, le=65535, alias="SAHABAT_REST_PORT")
    rasa_venv: Path | None = Field(None, alias="SAHABAT_RASA_VENV")
    # NoDecode: "24h,2h" is handed to `_offsets` as written, not first read as JSON like other tuple variables.
    reminder_offsets: Annotated[tuple[timedelta, ...], NoDecode] = Field((), alias="SAHABAT_REMINDER_OFFSETS")
    public_url: str | None = Field(None, alias="SAHABAT_PUBLIC_URL")
    telegram_token: str | None = Field(None, alias="TELEGRAM_BOT_TOKEN")
    telegram_api_base_url: str | None = Field(None, alias="TELEGRAM_API_BASE_URL")
    telegram_webhook_url: str | None = Field(None, alias="TELEGRAM_WEBHOOK_URL")
    telegram_webhook_secret: str | None = Field(None, alias="TELEGRAM_WEBHOOK_SECRET")
    telegram_rate: float = Field(TelegramSettings.rate, gt=0, alias="TELEGRAM_RATE")
    whatsapp_token: str | None = Field(None, alias="WHATSAPP_TOKEN")
    whatsapp_phone_number_id: str | None = Field(None, alias="WHATSAPP_PHONE_NUMBER_ID")
    whatsapp_app_secret: str | None = Field(None, alias="WHATSAPP_APP_SECRET")
    whatsapp_verify_token: str | None = Field(None, alias="WHATSAPP_VERIFY_TOKEN")
    whatsapp_api_base_url: str = Field(WhatsAppSettings.api_base_url, alias="WHATSAPP_API_BASE_URL")
    whatsapp_rate: float = Field(WhatsAppSettings.rate, gt=0, alias="WHATSAPP_RATE")
    whatsapp_template_reminder: str | None = Field(None, alias="WHATSAPP_TEMPLATE_REMINDER")
    whatsapp_template_notice: str | None = Field(None, alias="WHATSAPP_TEMPLATE_NOTICE")
    whatsapp_template_language: str = Field(WhatsAppSettings.template_language, alias="WHATSAPP_TEMPLATE_LANGUAGE")

    @field_validator("reminder_offsets", mode="before")
    @classmethod
    def _offsets(cls, raw: object) -> object:
        return parse_offsets(raw) if isinstance(raw, str) else raw

    def variable(self, name: str) -> str | None:
        """The value read for the environment variable `name` (None when unset)."""
        value = self.model_dump(by_alias=True)[name]
        return None if value is None else str(value)


def _describe(error: ValidationError) -> str:
    """'SAHABAT_REST_PORT: Input should be a valid integer… (got 'abc')', one line per bad variable."""
    return "; ".join(
        f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']} (got {problem['input']!r})"
        for problem in error.errors()
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


def _telegram(raw: Environment) -> TelegramSettings | None:
    if not raw.telegram_token:
        return None
    if raw.telegram_webhook_url and not raw.telegram_webhook_secret:
        # Without the secret anyone who finds the URL could post updates in a person's name.
        raise SettingsError("TELEGRAM_WEBHOOK_URL needs TELEGRAM_WEBHOOK_SECRET")
    return TelegramSettings(
        raw.telegram_token,
        raw.telegram_api_base_url,
        raw.telegram_webhook_url,
        raw.telegram_webhook_secret,
        raw.telegram_rate,
    )


WHATSAPP_REQUIRED = ("WHATSAPP_TOKEN", "WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN")
# Outbox kind → the environment variable naming its template.
WHATSAPP_TEMPLATE_VARIABLES = {
    OutboxKind.REMINDER: "WHATSAPP_TEMPLATE_REMINDER",
    OutboxKind.BROADCAST: "WHATSAPP_TEMPLATE_NOTICE",
    OutboxKind.ESCALATION: "WHATSAPP_TEMPLATE_NOTICE",
    OutboxKind.COMPLAINT: "WHATSAPP_TEMPLATE_NOTICE",
}


def _whatsapp(raw: Environment) -> WhatsAppSettings | None:
    present = [name for name in WHATSAPP_REQUIRED if raw.variable(name)]
    if not present:
        return None
    if len(present) < len(WHATSAPP_REQUIRED):
        missing = sorted(set(WHATSAPP_REQUIRED) - set(present))
        raise SettingsError(f"WhatsApp is half configured: {', '.join(missing)} missing")
    templates = {kind: value for kind, name in WHATSAPP_TEMPLATE_VARIABLES.items() if (value := raw.variable(name))}
    return WhatsAppSettings(
        token=str(raw.whatsapp_token),
        phone_number_id=str(raw.whatsapp_phone_number_id),
        app_secret=str(raw.whatsapp_app_secret),
        verify_token=str(raw.whatsapp_verify_token),
        api_base_url=raw.whatsapp_api_base_url.rstrip("/"),
        rate=raw.whatsapp_rate,
        templates=templates,
        template_language=raw.whatsapp_template_language,
    )
