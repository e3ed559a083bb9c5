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
    retry_after: int | None = None
    """Seconds, sent as the Retry-After header (429, 503)."""

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


def rate_limited(wait: float) -> ApiError:
    """429 with the seconds to wait, also as Retry-After."""
    seconds = max(1, round(wait + 0.5))
    return ApiError(429, "rate-limited", f"too many refused requests; retry in {seconds} s",
                    retry_after=seconds)  # fmt: skip


def unauthorized(message: str = "a valid admin token is required") -> ApiError:
    return ApiError(401, "unauthorized", message)
