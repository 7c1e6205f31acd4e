"""The OpenAPI document: generated, valid JSON, and listing the API (not the invite link)."""

from __future__ import annotations

import json

import httpx
import jsonschema
from fastapi import FastAPI

from app.api.openapi import ANA, EXAMPLES, ZOE
from app.api.routes.meetings import MeetingCreate
from tests.api.factories import facilitator_of, make_group, make_member, make_organizer


async def test_openapi_lists_the_api_routes(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for path, methods in {
        "/api/setup": {"get", "post"},
        "/api/auth/login": {"post"},
        "/api/auth/logout": {"post"},
        "/api/me": {"get"},
        "/api/organizers": {"post"},
        "/api/groups": {"get", "post"},
        "/api/groups/{group_id}": {"get", "patch", "delete"},
        "/api/groups/{group_id}/members": {"get", "post"},
        "/api/members/{member_id}": {"patch", "delete"},
        "/api/members/{member_id}/invite": {"post", "delete"},
        "/api/invites/accept": {"post"},
        "/api/groups/{group_id}/meetings": {"get", "post"},
        "/api/meetings/{meeting_id}": {"get", "patch", "delete"},
    }.items():
        assert methods <= set(paths[path]), path
    assert not any(path.startswith("/invite/") for path in paths)
    assert "MeetingCreate" in schema["components"]["schemas"]
    assert "APIKeyCookie" in schema["components"]["securitySchemes"]


ERROR_STATUSES = {"401", "403", "404", "409", "410", "413", "422", "429"}


async def test_every_operation_documents_the_error_bodies_the_server_really_sends(
    client: httpx.AsyncClient,
) -> None:
    schema = (await client.get("/openapi.json")).json()
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    error_body = schema["components"]["schemas"]["ErrorBody"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert set(responses) >= ERROR_STATUSES, f"{method} {path}"
            for status in ERROR_STATUSES:
                content = responses[status]["content"]["application/json"]
                assert content["schema"] == {"$ref": "#/components/schemas/ErrorBody"}
                jsonschema.validate(content["example"], error_body)
    # What the server answers validates against the documented body.
    unauthenticated = await client.get("/api/groups")
    missing = await client.get("/api/nope")
    invalid = await client.post("/api/auth/login", json={"email": ""})
    for answer, status in ((unauthenticated, 401), (missing, 404), (invalid, 422)):
        assert answer.status_code == status
        jsonschema.validate(answer.json(), error_body)
    assert invalid.json()["error"]["details"]


async def test_every_request_body_has_an_example_the_server_accepts(
    client: httpx.AsyncClient,
) -> None:
    schema = (await client.get("/openapi.json")).json()
    bodies = [
        (f"{method.upper()} {path}", operation["requestBody"]["content"]["application/json"])
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "requestBody" in operation
    ]
    assert len(bodies) >= 11
    by_name = {model.__name__: model for model in EXAMPLES}
    for label, content in bodies:
        assert "example" in content, label
        refs = [content["schema"].get("$ref")] + [
            s.get("$ref") for s in content["schema"].get("anyOf", [])
        ]
        [name] = [ref.rsplit("/", 1)[-1] for ref in refs if ref]
        by_name[name].model_validate(content["example"])  # the request model accepts it


async def test_a_literal_reader_of_the_examples_gets_a_meeting_scheduled(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """The MeetingCreate example, with real ids put in, is a request the server takes."""
    await make_organizer(app, client)
    group = await make_group(client)
    ana = await make_member(client, group["id"], "Ana")
    await make_member(client, group["id"], "Ben")
    example = json.loads(
        json.dumps(EXAMPLES[MeetingCreate])
        .replace(ZOE, facilitator_of(group))
        .replace(ANA, ana["id"])
    )
    made = await client.post(f"/api/groups/{group['id']}/meetings", json=example)
    assert made.status_code == 201, made.text
