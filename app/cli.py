"""``codev serve`` and ``codev migrate``: what ``make run`` calls."""

from __future__ import annotations

import argparse
import logging
import sys

import uvicorn

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
        "log_level": "info",
    }
    options.update(overrides)
    return uvicorn.Config(create_app(settings), **options)  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="codev", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="upgrade the database and serve the app")
    serve.add_argument("--host", help="overrides CODEV_HOST")
    serve.add_argument("--port", type=int, help="overrides CODEV_PORT")
    commands.add_parser("migrate", help="upgrade the database schema and exit")
    args = parser.parse_args(argv)

    overrides = {k: v for k in ("host", "port") if (v := getattr(args, k, None)) is not None}
    settings = Settings(**overrides)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.command == "migrate":
        migrate.upgrade(settings)
        print(f"database is up to date ({_safe(settings.sqlalchemy_url)})")
        return 0
    raise_descriptor_limit()  # the distribution's default soft limit (1,024) is soon reached
    uvicorn.Server(uvicorn_config(settings)).run()
    return 0


def _safe(url: str) -> str:
    """The URL without its password, for logs."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


if __name__ == "__main__":
    sys.exit(main())
