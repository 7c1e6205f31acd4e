"""The OpenAPI document: generated, valid JSON, and listing the API (not the invite link)."""

from __future__ import annotations

import httpx


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
