"""The API's one error shape: ``{"code", "message", "field"}`` with an HTTP status."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ApiError(Exception):
    """A refusal the client can act on; never carries secrets."""

    status: int
    code: str
    message: str
    field: str | None = None

    def body(self) -> dict[str, str | None]:
        return {"code": self.code, "message": self.message, "field": self.field}


def bad_request(code: str, message: str, field: str | None = None) -> ApiError:
    return ApiError(400, code, message, field)


def not_found(what: str) -> ApiError:
    return ApiError(404, "not-found", f"{what} not found")


def conflict(code: str, message: str, field: str | None = None) -> ApiError:
    return ApiError(409, code, message, field)


def forbidden(message: str) -> ApiError:
    return ApiError(403, "forbidden", message)


def unauthorized(message: str = "a valid admin token is required") -> ApiError:
    return ApiError(401, "unauthorized", message)
