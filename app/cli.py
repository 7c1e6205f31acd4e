"""``codev serve`` and ``codev migrate`` (what ``make run`` calls), ``codev purge`` (retention on
demand) and the admin commands."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from datetime import timedelta

import uvicorn

from app import admin, log_filters, logs
from app.connections import GuardedHttp, connection_cap, raise_descriptor_limit
from app.settings import Settings
from app.store import migrate


def uvicorn_config(settings: Settings, **overrides: object) -> uvicorn.Config:
    """The server settings that protect a live meeting from broken or hostile clients."""
    from app.main import create_app

    options: dict[str, object] = {
        "host": settings.host,
        "port": settings.port,
        "ws": "websockets-sansio",
        "ws_max_size": settings.max_frame_bytes,  # bigger frames close the socket with 1009
        "ws_ping_interval": settings.ws_ping_interval,
        "ws_ping_timeout": settings.ws_ping_timeout,
        "ws_per_message_deflate": False,  # costs memory per socket, leaks via compression
        "proxy_headers": True,  # client addresses from X-Forwarded-For of FORWARDED_ALLOW_IPS only
        # Silent or half-open connections are closed; past the cap a new one gets 503 at once.
        "http": GuardedHttp.configured(
            settings.connect_timeout, connection_cap(settings.max_connections)
        ),
        "lifespan": "on",
        "log_level": settings.log_level,
        "log_config": None,  # uvicorn's loggers go through the app's handler (app.logs)
    }
    options.update(overrides)
    config = uvicorn.Config(create_app(settings), **options)  # type: ignore[arg-type]
    log_filters.install()  # after the Config, which loads uvicorn's logging configuration
    return config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="codev", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="upgrade the database and serve the app")
    serve.add_argument("--host", help="overrides CODEV_HOST")
    serve.add_argument("--port", type=int, help="overrides CODEV_PORT")
    commands.add_parser("migrate", help="upgrade the database schema and exit")
    purge = commands.add_parser(
        "purge", help="erase the case content of ended meetings past their group's retention"
    )
    purge.add_argument(
        "--older-than", type=int, metavar="DAYS", help="overrides each group's retention_days"
    )
    admin.add_parsers(commands)
    args = parser.parse_args(argv)

    overrides = {k: v for k in ("host", "port") if (v := getattr(args, k, None)) is not None}
    settings = Settings(**overrides)
    logs.configure(settings)
    if args.command in admin.COMMANDS:
        return admin.run(args, settings)
    if args.command == "migrate":
        migrate.upgrade(settings)
        print(f"database is up to date ({_safe(settings.sqlalchemy_url)})")
        return 0
    if args.command == "purge":
        return _purge(settings, args.older_than)
    raise_descriptor_limit()  # the distribution's default soft limit (1,024) is soon reached
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises the SIGINT it stopped on
        uvicorn.Server(uvicorn_config(settings)).run()
    return 0


def _purge(settings: Settings, older_than: int | None) -> int:
    from app.retention import purge_now

    if older_than is not None and older_than < 0:
        print("--older-than takes a number of days, 0 or more", file=sys.stderr)
        return 2
    migrate.upgrade(settings)
    days = None if older_than is None else timedelta(days=older_than)
    count = asyncio.run(purge_now(settings, days))
    print(f"erased the case content of {count} ended meeting(s)")
    return 0


def _safe(url: str) -> str:
    """The URL without its password, for logs."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


if __name__ == "__main__":
    sys.exit(main())
