"""Settings from the environment (``CODEV_*``) or a ``.env`` file; no import-time globals."""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CODEV_", env_file=".env", extra="ignore")

    data_dir: Path = Path("data")
    """Where the SQLite database and the generated secret key live."""
    database_url: str = ""
    """SQLAlchemy URL; empty means SQLite in ``data_dir``. PostgreSQL: postgresql+psycopg://..."""
    redis_url: str = ""
    """Empty means the in-process broker (one server process)."""
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = ""
    """The address people open (for invite links and the Origin check); default http://host:port."""
    allowed_origins: Annotated[list[str], NoDecode] = []
    """Origins allowed to open the WebSocket and send REST writes; default: public_url only."""
    secret_key: str = ""
    """Keys the hashes of tokens; generated into ``data_dir/secret_key`` when empty."""
    invite_ttl_days: int = Field(default=60, ge=1)
    session_ttl_days: int = Field(default=30, ge=1)
    setup_ttl_hours: int = Field(default=24, ge=1)
    resume_window: int = Field(default=1_000, ge=1)
    """A client further behind than this many events gets a snapshot instead of a replay."""
    max_frame_bytes: int = Field(default=64 * 1024, ge=1_024)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1_024)
    connect_timeout: float = Field(default=5.0, gt=0)
    """Seconds a new connection may take to send its request headers (or WebSocket handshake)."""
    max_connections: int = Field(default=0, ge=0)
    """Open connections (sockets, requests, idle ones) past which a new one gets 503; 0: the
    file-descriptor limit less a reserve."""
    """Larger HTTP request bodies are refused with 413 before they are read."""
    ws_ping_interval: float = Field(default=20.0, gt=0)
    ws_ping_timeout: float = Field(default=20.0, gt=0)
    socket_queue_size: int = Field(default=512, ge=8)
    """Events buffered per socket before a stalled client is disconnected (it resumes later)."""
    sockets_per_member: int = Field(default=5, ge=1)
    frames_per_second: float = Field(default=10.0, gt=0)
    """Sustained messages per second one member may send in a meeting, over all their sockets
    and reconnections (bursts up to ``frame_burst``)."""
    frame_burst: int = Field(default=40, ge=1)
    flood_close_after: int = Field(default=100, ge=1)
    """Refused messages within ``flood_window`` seconds after which the socket is closed (1008)."""
    flood_window: float = Field(default=10.0, gt=0)
    login_failures_per_account: int = Field(default=10, ge=1)
    """Failed sign-ins for one email within ``login_window_seconds`` before it gets 429."""
    login_failures_per_address: int = Field(default=30, ge=1)
    """Failed sign-ins, setup or invite tokens from one client address before it gets 429."""
    login_window_seconds: float = Field(default=300.0, gt=0)
    password_hashes_at_once: int = Field(default=1, ge=1)
    """Password hashes (argon2, ~50 ms of CPU each) run at once; the others wait their turn."""
    password_hash_share: float = Field(default=0.25, gt=0, le=1)
    """Share of the time a hash slot may spend hashing while sign-ins queue for it: it rests 3x
    as long as a hash took before the next one."""
    password_hash_wait: float = Field(default=2.0, gt=0)
    """Seconds a sign-in waits for its turn to check a password before it gets 503."""
    metrics_token: str = ""
    """``/metrics`` answers only a ``Bearer`` of this token; empty turns it off (404)."""
    log_format: Literal["text", "json"] = "text"
    """``json``: one JSON object per line, for a log collector; ``text``: readable lines."""
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    @field_validator("log_format", "log_level", mode="before")
    @classmethod
    def _lowercase(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    access_sweep_seconds: float = Field(default=15.0, gt=0)
    """How often every open socket's access is decided again (in case a notice was lost)."""
    retention_interval: float = Field(default=3_600.0, gt=0)
    """Seconds between two retention passes (``app.retention``)."""
    smtp_url: str = ""
    """Empty: no mail (people copy links). ``smtp+starttls://user:pass@host:587``, ``smtps://…``."""
    mail_from: str = ""
    """The sender of every mail, e.g. ``Codev <codev@example.org>``; mail needs it too."""
    time_zone: str = "UTC"
    """The IANA zone of meeting times in mails and calendars (e.g. America/Montreal)."""
    reminder_hours: float = Field(default=24.0, gt=0)
    """How long before a meeting its participants are reminded of it."""
    prepare_reminder_hours: float = Field(default=72.0, gt=0)
    """How long before a meeting each of its clients is reminded to prepare their case."""
    mail_retry_seconds: float = Field(default=60.0, gt=0)
    """The first retry of a mail that could not be sent; each next one waits twice as long."""
    mail_max_attempts: int = Field(default=8, ge=1)
    mail_poll_seconds: float = Field(default=30.0, gt=0)
    """How often the sender looks for due retries and reminders (new mail wakes it at once)."""

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @cached_property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @cached_property
    def origins(self) -> frozenset[str]:
        extra = {o.rstrip("/") for o in self.allowed_origins}
        loopback = {self.base_url}
        for a, b in (("127.0.0.1", "localhost"), ("localhost", "127.0.0.1")):
            if f"//{a}:" in self.base_url:  # the same machine under its other name
                loopback.add(self.base_url.replace(f"//{a}:", f"//{b}:"))
        return frozenset(loopback | extra)

    @cached_property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    @cached_property
    def sqlalchemy_url(self) -> str:
        """The synchronous URL (Alembic, tools)."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir.resolve() / 'codev.db'}"

    @cached_property
    def async_url(self) -> str:
        """The same database through an asyncio driver."""
        url = self.sqlalchemy_url
        if url.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
        if url.startswith(("postgresql://", "postgres://")):
            return "postgresql+psycopg://" + url.split("://", 1)[1]
        return url

    @cached_property
    def key(self) -> bytes:
        """The secret key, generated once and kept in the data dir when none is configured."""
        if self.secret_key:
            return self.secret_key.encode()
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip().encode()
