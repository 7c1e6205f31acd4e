"""Schemathesis against ``/openapi.json`` of a live server, signed in as an organizer: no
generated request gets a 5xx, and every documented response matches its schema.

Half the calls of an operation that names a group, member or meeting use real ids (so the
success responses are checked too, not only 404s); DELETE operations get a throwaway row.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import BaseSchema, Case
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from app.main import create_app
from app.settings import Settings
from tests.live import LiveServer, free_port
from tests.reliability.helpers import Group, Organizer

pytestmark = pytest.mark.slow

PASSWORD = "a long password"
"""What ``bootstrap_organizer`` signs up with."""


@dataclass
class Api:
    server: LiveServer
    org: Organizer
    group: Group
    meeting: str
    cycle: str

    def real_ids(self, method: str) -> dict[str, str]:
        """Ids of rows that exist; for DELETE, rows made just to be deleted."""
        if method == "DELETE":
            group = self.org.group("Throwaway circle", ["Tess", "Theo"])
            return {
                "group_id": group.id,
                "member_id": group.members["Tess"],
                "meeting_id": self.org.meeting(group, client="Tess", title="Throwaway"),
            }
        return {
            "group_id": self.group.id,
            "member_id": self.group.members["Ana"],
            "meeting_id": self.meeting,
            "cycle_id": self.cycle,
        }

    def throwaway_session(self) -> str:
        """A second session of the organizer, for a logout that must not sign the suite out."""
        response = httpx.post(
            f"{self.server.url}/api/auth/login",
            json={"email": "org@example.org", "password": PASSWORD},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        return str(response.cookies["codev_session"])


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    server = LiveServer(data_dir=tmp_path_factory.mktemp("openapi") / "data", port=free_port())
    server.start()
    org = Organizer.bootstrap(server)
    group = org.group("Schema circle", ["Claire", "Ana"])
    meeting = org.meeting(group, client="Claire")
    cycle = org.http.post(
        f"/api/groups/{group.id}/cycles",
        json={
            "name": "Schema cycle",
            "starts_at": "2027-01-05T17:00:00Z",
            "facilitator_id": group.facilitator_id,
        },
    )
    assert cycle.status_code == 201, cycle.text
    try:
        yield Api(server, org, group, meeting, cycle.json()["id"])
    finally:
        org.close()
        server.stop()


def _operations() -> list[str]:
    """Every operation of the app's OpenAPI document (built offline: no server, no database)."""
    app = create_app(Settings(_env_file=None, data_dir=Path("unused"), secret_key="offline"))
    return [
        f"{method.upper()} {path}"
        for path, methods in app.openapi()["paths"].items()
        for method in methods
    ]


@pytest.fixture(scope="module")
def live_schema(api: Api) -> BaseSchema:
    return schemathesis.openapi.from_url(f"{api.server.url}/openapi.json")


@pytest.mark.parametrize("operation", _operations())
def test_the_api_never_fails_and_answers_as_documented(
    operation: str, api: Api, live_schema: BaseSchema
) -> None:
    method, path = operation.split(" ", 1)
    found = live_schema.find_operation_by_label(operation)
    assert found is not None, operation
    calls = itertools.count()

    @settings(
        max_examples=5,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(case=found.as_strategy())
    def answered_as_documented(case: Case[Any]) -> None:
        if case.path_parameters and next(calls) % 2 == 0:
            real = api.real_ids(method)
            case.path_parameters = {
                name: real.get(name, value) for name, value in case.path_parameters.items()
            }
        cookie = api.throwaway_session() if path == "/api/auth/logout" else api.org.cookie
        case.call_and_validate(
            cookies={"codev_session": cookie},
            checks=[not_a_server_error, response_schema_conformance],
            timeout=10,
        )

    answered_as_documented()
