"""The OpenAPI document at /api/openapi.json (filled in by the API issue's work)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

blueprint = Blueprint("openapi", __name__, url_prefix="/api")


@blueprint.get("/openapi.json")
def openapi() -> Response:
    from .openapi_document import document  # noqa: PLC0415

    return jsonify(document())
