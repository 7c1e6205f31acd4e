"""Map errors to HTTP responses, at the edge only: ``{"error": {"code", "message"}}``."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.responses import Response

from app.errors import AppError

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def error_body(code: str, message: str, **extra: object) -> dict[str, object]:
    return {"error": {"code": code, "message": message, **extra}}


async def _app_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    headers: dict[str, str] | None = getattr(exc, "headers", None)  # e.g. Retry-After
    return JSONResponse(error_body(exc.code, exc.message), status_code=exc.status, headers=headers)


async def _validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    details = [
        {"loc": list(err.get("loc", ())), "message": err.get("msg", "")} for err in exc.errors()
    ]
    first = details[0] if details else {"loc": [], "message": "invalid request"}
    where = ".".join(str(part) for part in first["loc"] if part != "body")
    message = f"{where}: {first['message']}".lower() if where else str(first["message"]).lower()
    return JSONResponse(error_body("invalid", message, details=details), status_code=422)


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    codes = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}
    code = codes.get(exc.status_code, "http_error")
    return JSONResponse(
        error_body(code, str(exc.detail).lower()), status_code=exc.status_code, headers=exc.headers
    )


class OriginCheck(BaseHTTPMiddleware):
    """Refuse state-changing requests that a browser sent from another site (CSRF).

    Browsers always send ``Origin`` on cross-site writes; clients that are not browsers send
    none and hold no victim's cookie, so a missing Origin is let through.
    """

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        origin = request.headers.get("origin")
        if request.method in UNSAFE_METHODS and origin is not None:
            allowed = request.app.state.services.settings.origins
            if origin.rstrip("/") not in allowed:
                body = error_body("bad_origin", f"requests from {origin} are not allowed")
                return JSONResponse(body, status_code=403)
        return await call_next(request)


def install(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_middleware(OriginCheck)
