"""JSON Schema of what the views answer, for the OpenAPI document.

The codec documents inside these answers (a manifest, a receipt, a tally) are
referenced, not repeated: their schemas come from the codec types. Each shape
here follows the dict its view builds in :mod:`.public`, :mod:`.admin`,
:mod:`.registrar` or :mod:`.trustee`; tests/server/test_openapi.py checks live
answers against them.
"""

from __future__ import annotations

from typing import Any

from kiemphieu.crypto.codec_schema import big_int_pattern
from kiemphieu.crypto.election.manifest import IDENT
from kiemphieu.crypto.election.trustee import SharePurpose
from kiemphieu.crypto.primitives.threshold import MAX_TRUSTEES

from ..elections import State
from ..registry import MAX_BATCH

Schema = dict[str, Any]

REF = "#/components/schemas/"
HEX32 = "^[0-9a-f]{64}$"


def ref(name: str) -> Schema:
    return {"$ref": REF + name}


def nullable(schema: Schema) -> Schema:
    return {"oneOf": [schema, {"type": "null"}]}


def closed(
    properties: dict[str, Schema], description: str = "", *, required: tuple[str, ...] | None = None
) -> Schema:
    """An object with these keys only (all required unless ``required`` says which)."""
    out: Schema = {"description": description} if description else {}
    out.update(
        type="object",
        properties=properties,
        required=list(properties) if required is None else list(required),
        additionalProperties=False,
    )
    return out


def _array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def view_schemas() -> dict[str, Schema]:
    hex32 = {"type": "string", "pattern": HEX32}
    count = {"type": "integer", "minimum": 0}
    stamp = {"type": "string", "format": "date-time"}
    ident = {"type": "string", "pattern": IDENT.pattern}
    state = {"type": "string", "enum": [s.value for s in State]}
    index = {"type": "integer", "minimum": 1, "maximum": MAX_TRUSTEES}
    return {
        "Error": closed(
            {
                "code": {"type": "string", "description": "a stable, machine-readable code"},
                "message": {"type": "string"},
                "field": nullable({"type": "string"}),
            },
            "Every refusal; field names the input at fault, e.g. answers[2].proofs[0].z[1].",
        ),
        "KeygenStart": closed(
            {
                "bits": {"type": "integer", "description": "modulus size, under the key policy"},
                "batch": {"type": "integer", "minimum": 1, "maximum": 65536, "default": 1024},
                "timeout": {"type": "integer", "minimum": 1, "maximum": 3600, "default": 300},
            },
            "A key generation run to open; bits is required.",
            required=("bits",),
        ),
        "KeygenRun": closed(
            {
                "run": {"type": "integer", "minimum": 1},
                "bits": {"type": "integer"},
                "batch": {"type": "integer"},
                "timeout": {"type": "integer"},
                "session": {**hex32, "description": "σ of docs/spec.md §12.1"},
                "state": {"type": "string", "enum": ["running", "done", "failed"]},
                "failure": nullable({"type": "string"}),
                "label": nullable({"type": "string"}),
                "posted": {"type": "array", "items": index},
            }
        ),
        "KeygenAbort": closed(
            {
                "sender": index,
                "reason": {"type": "string", "minLength": 1, "maxLength": 500},
                "signature": {"type": "string", "pattern": "^[0-9a-f]{128}$"},
            },
            "Signed by the sender over H(keygen/message, σ, 'abort', sender, reason, []).",
        ),
        "KeygenPosted": closed({"label": {"type": "string"}, "sender": index}),
        "KeygenWaiting": closed({"missing": {"type": "array", "items": index, "minItems": 1}}),
        "ServerInfo": closed(
            {
                "software": {"const": "kiemphieu"},
                "version": {"type": "string"},
                "receipt_key": {**hex32, "description": "the Ed25519 key that signs receipts"},
            }
        ),
        "ElectionSummary": closed(
            {
                "id": ident,
                "state": state,
                "manifest": ref("Manifest"),
                "key_ceremony": nullable(ref("KeyCeremony")),
                "base_hash": nullable({**hex32, "description": "H_E (spec §8.2)"}),
                "signed_roll": nullable(ref("SignedRoll")),
                "board_size": count,
                "board_head": nullable(hex32),
                "created_at": stamp,
                "updated_at": stamp,
            },
            "The public description of an election.",
        ),
        "ElectionList": closed(
            {
                "elections": _array(
                    closed({"id": ident, "state": state, "title": ref("LocalizedText")})
                )
            }
        ),
        "BoardPage": closed(
            {
                "election_id": ident,
                "board_size": count,
                "start": count,
                "entries": _array(
                    closed(
                        {"entry": ref("BoardEntry"), "ballot": nullable(ref("Ballot")), "at": stamp}
                    )
                ),
            },
            "Entries from position start on, in order; a ballot entry carries its ballot.",
        ),
        "BoardHead": closed({"size": count, "head": nullable(hex32)}),
        "BallotLookup": closed(
            {"entry": ref("BoardEntry"), "receipt": ref("Receipt"), "at": stamp},
            "The board entry of a tracking code and the receipt the server gave for it.",
        ),
        "Turnout": closed(
            {"state": state, "credentials": count, "ballots": count, "voters": count},
            "Credentials listed, ballots on the board, distinct credentials that voted.",
        ),
        "CredentialList": closed(
            {
                "election_id": ident,
                "credentials": _array(hex32),
                "signed_roll": nullable(ref("SignedRoll")),
            },
            "The credentials' Ed25519 public keys, in ascending byte order, and the "
            "registrar's latest signature on the roll (spec §8.12).",
        ),
        "RegistrarView": closed({"registrar": nullable(ref("Registrar"))}),
        "RegistrarSet": closed({"registrar": ref("Registrar")}),
        "RollSigned": closed({"election_id": ident, "count": count}),
        "AttestationList": closed(
            {"attestations": _array(ref("CloseAttestation"))},
            "The trustees' close attestations, in index order (spec §8.13).",
        ),
        "AttestationAccepted": closed({"index": index, "head": hex32}),
        "CredentialBatch": closed(
            {
                "credentials": {
                    **_array(hex32),
                    "minItems": 1,
                    "maxItems": MAX_BATCH,
                    "uniqueItems": True,
                }
            },
            "Ed25519 public keys of new credentials; the codes never reach the server.",
        ),
        "CredentialsAdded": closed({"election_id": ident, "added": count, "total": count}),
        "TrusteeList": closed({"trustees": _array(ref("Trustee"))}),
        "TestSharesAccepted": closed({"index": index, "valid": {"const": True}}),
        "TallySharesAccepted": closed(
            {"index": index, "valid": {"const": True}, "combined": {"type": "boolean"}},
            "combined: t valid tally shares are in and the result is computed.",
        ),
        "ShareLog": closed(
            {
                "shares": _array(
                    closed(
                        {
                            "index": index,
                            "purpose": {"type": "string", "enum": [p.value for p in SharePurpose]},
                            "valid": {"type": "boolean"},
                            "error": nullable({"type": "string"}),
                            "at": stamp,
                            "shares": ref("TrusteeShares"),
                        }
                    )
                )
            },
            "Every share document posted, in order, with the server's verdict.",
        ),
        "TallyView": closed(
            {
                "tally": ref("EncryptedTally"),
                "packed": _array(
                    {"type": "string", "pattern": big_int_pattern(8192), "maxLength": 2048}
                ),
                "counted": _array(count),
            },
            "The encrypted tally, its packed ciphertexts (what trustees decrypt) and the "
            "board positions of the counted ballots.",
        ),
        "ResultView": closed(
            {"state": state, "result": ref("ElectionResult"), "counts": ref("TallyCounts")}
        ),
        "AuditLog": closed(
            {
                "entries": _array(
                    closed(
                        {
                            "id": {"type": "integer", "minimum": 1},
                            "election_id": nullable(ident),
                            "actor": {"type": "string"},
                            "action": {"type": "string"},
                            "detail": {"type": "object"},
                            "at": stamp,
                        }
                    )
                )
            },
            "Actions in order, each written with the change it records.",
        ),
    }
