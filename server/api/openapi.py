"""The OpenAPI document at /api/openapi.json (built in :mod:`.openapi_document`)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from ..services import services

blueprint = Blueprint("openapi", __name__, url_prefix="/api")


@blueprint.get("/openapi.json")
def openapi() -> Response:
    from .openapi_document import document  # noqa: PLC0415 - built on first request

    return jsonify(document(services().config.public_page_max))
