"""``deploy/compose.yaml`` names only what exists: its services, ports, health paths and every
``CODEV_*`` variable; the proxy upgrades WebSockets and balances without sticky sessions."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.main import create_app
from app.settings import Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
ROOT = DEPLOY.parent


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return loaded


@pytest.fixture(scope="module")
def proxy_config() -> str:
    return (DEPLOY / "nginx.conf").read_text()


def _servers(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: service
        for name, service in compose["services"].items()
        if service.get("command") == ["codev", "serve"]
    }


def _routes() -> set[str]:
    return set(create_app(Settings(_env_file=None)).openapi()["paths"])


def test_the_compose_file_runs_postgresql_redis_two_servers_and_a_proxy(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    assert services["proxy"]["image"].startswith("nginx:")
    assert len(_servers(compose)) == 2


def test_every_codev_variable_it_sets_is_a_setting_of_the_app(compose: dict[str, Any]) -> None:
    fields = {f"CODEV_{name.upper()}" for name in Settings.model_fields}
    for name, service in compose["services"].items():
        named = {k for k in service.get("environment", {}) if k.startswith("CODEV_")}
        assert named <= fields, (name, named - fields)
    for server in _servers(compose).values():
        environment = server["environment"]
        assert environment["CODEV_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert "@postgres:5432/" in environment["CODEV_DATABASE_URL"]
        assert environment["CODEV_REDIS_URL"] == "redis://redis:6379/0"
        assert "CODEV_SECRET_KEY" in environment  # the same key on every server


def test_every_service_it_depends_on_exists_and_is_healthy_first(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        for needed, how in service.get("depends_on", {}).items():
            assert needed in services, (name, needed)
            expected = (
                "service_completed_successfully" if needed == "migrate" else "service_healthy"
            )
            assert how["condition"] == expected, (name, needed)
            if expected == "service_healthy":
                assert "test" in services[needed]["healthcheck"], needed
    for server in _servers(compose):
        assert set(services[server]["depends_on"]) == {"postgres", "redis", "migrate"}
    assert set(services["proxy"]["depends_on"]) == set(_servers(compose))


def test_health_checks_use_the_apps_health_paths_on_its_port(compose: dict[str, Any]) -> None:
    routes = _routes()
    assert {"/livez", "/readyz"} <= routes
    services = compose["services"]
    for name, server in _servers(compose).items():
        port = server["environment"]["CODEV_PORT"]
        check = " ".join(server["healthcheck"]["test"])
        assert f"http://127.0.0.1:{port}/readyz" in check, name
    proxy_check = " ".join(services["proxy"]["healthcheck"]["test"])
    assert re.search(r"http://127\.0\.0\.1(:80)?/livez", proxy_check)
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "/readyz" in dockerfile.split("HEALTHCHECK", 1)[1]


def test_the_proxy_reaches_both_servers_and_upgrades_websockets(
    compose: dict[str, Any], proxy_config: str
) -> None:
    services = compose["services"]
    mounted = services["proxy"]["volumes"][0].split(":")[0]
    assert (DEPLOY / mounted).resolve() == DEPLOY / "nginx.conf"
    upstreams = dict(re.findall(r"server\s+([\w-]+):(\d+)", proxy_config))
    assert upstreams == {
        name: server["environment"]["CODEV_PORT"] for name, server in _servers(compose).items()
    }
    assert "proxy_set_header Upgrade $http_upgrade;" in proxy_config
    assert "proxy_set_header Connection $connection_upgrade;" in proxy_config
    assert "proxy_http_version 1.1;" in proxy_config
    directives = "\n".join(line.split("#", 1)[0] for line in proxy_config.splitlines())
    for sticky in ("ip_hash", "hash ", "sticky"):
        assert sticky not in directives
    published = services["proxy"]["ports"][0].split(":")[-1]
    assert re.search(rf"listen\s+{published};", proxy_config)
    public = _servers(compose)["codev-1"]["environment"]["CODEV_PUBLIC_URL"]
    assert services["proxy"]["ports"][0].split(":")[0] in public  # the port people open


def test_the_proxy_logs_no_secret_from_a_path(proxy_config: str) -> None:
    log_format = proxy_config.split("log_format", 1)[1].split(";", 1)[0]
    assert "$request_uri" not in log_format
    assert "$args" not in log_format
    assert "$request " not in log_format
    assert "~^/invite/  /invite/***;" in proxy_config
