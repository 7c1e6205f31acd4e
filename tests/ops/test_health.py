"""``/livez`` and ``/readyz``, against a real database and a Redis that is or is not there."""

from __future__ import annotations

from pathlib import Path

import psycopg

from app.main import create_app
from app.settings import Settings
from tests.api.factories import browser
from tests.databases import POSTGRES, fresh_database
from tests.live import free_port

REDIS = "redis://127.0.0.1:6379/0"


async def test_a_running_server_is_live_and_ready(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, secret_key="k", redis_url=REDIS)
    app = create_app(settings)
    async with app.router.lifespan_context(app), browser(app) as client:
        live = await client.get("/livez")
        ready = await client.get("/readyz")
    assert live.status_code == 200
    assert ready.status_code == 200, ready.text
    assert {c["check"]: c["ok"] for c in ready.json()["checks"]} == {
        "database": True,
        "redis": True,
    }


async def test_a_server_whose_redis_is_down_is_live_but_not_ready(tmp_path: Path) -> None:
    nowhere = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    settings = Settings(_env_file=None, data_dir=tmp_path, secret_key="k", redis_url=nowhere)
    app = create_app(settings)
    async with app.router.lifespan_context(app), browser(app) as client:
        live = await client.get("/livez")
        ready = await client.get("/readyz")
    assert live.status_code == 200
    assert ready.status_code == 503
    error = ready.json()["error"]
    assert error["code"] == "not_ready"
    assert "redis" in error["message"]
    checks = {c["check"]: c["ok"] for c in error["details"]}
    assert checks == {"database": True, "redis": False}


async def test_a_server_whose_database_is_gone_is_live_but_not_ready(tmp_path: Path) -> None:
    with fresh_database("postgresql", tmp_path) as url:
        settings = Settings(_env_file=None, data_dir=tmp_path, secret_key="k", database_url=url)
        app = create_app(settings)
        async with app.router.lifespan_context(app), browser(app) as client:
            assert (await client.get("/readyz")).status_code == 200
            name = url.rsplit("/", 1)[1]
            with psycopg.connect(POSTGRES, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            live = await client.get("/livez")
            ready = await client.get("/readyz")
    assert live.status_code == 200
    assert ready.status_code == 503
    error = ready.json()["error"]
    assert error["message"] == "not ready: database not answering"
    assert error["details"][0]["check"] == "database"
    assert error["details"][0]["ok"] is False


async def test_a_server_still_starting_is_not_ready(tmp_path: Path) -> None:
    app = create_app(Settings(_env_file=None, data_dir=tmp_path, secret_key="k"))
    async with browser(app) as client:  # no lifespan yet: nothing is built
        ready = await client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["error"]["details"] == [
        {"check": "server", "ok": False, "message": "starting"}
    ]
