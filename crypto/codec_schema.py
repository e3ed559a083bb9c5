"""JSON Schema of the codec's wire forms, derived from the types (docs/spec.md §9).

The codec reads a dataclass's annotated type hints to decode and encode it;
this module reads the same hints, with the same rules, and writes them down as
JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1), so observers' tools
and the server's OpenAPI document describe exactly what the codec accepts:

    schema_document(Ballot)            -> {"$schema": ..., "$ref": ..., "$defs": {...}}
    definitions([Ballot, Receipt], ref_prefix="#/components/schemas/")

Every dataclass becomes one named definition (its class name) with all its
keys required and no other key allowed; a document type also requires its
``type`` and ``version`` constants. What JSON Schema cannot say, the schema
leaves to the codec: Unicode NFC, lone surrogates, the checks a type's
constructor makes (identifier syntax, cross-field rules), and the JSON
layer's refusals (duplicate keys, floats, nesting depth).
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import types
import typing
from collections.abc import Iterable
from typing import Annotated, Any, TypeVar

from .schema import BigInt, Bytes, Items, Keys, SmallInt, Text, document_info

JsonSchema = dict[str, Any]
M = TypeVar("M")

DIALECT = "https://json-schema.org/draft/2020-12/schema"
DEFS_PREFIX = "#/$defs/"

_MARKERS = (BigInt, SmallInt, Bytes, Text, Items, Keys)
# The codec's control characters (Cc: C0, DEL, C1); the multiline form allows \t and \n.
_NO_CONTROL = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"
_NO_CONTROL_MULTILINE = "^[^\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f]*$"


def definitions(roots: Iterable[type], *, ref_prefix: str = DEFS_PREFIX) -> dict[str, JsonSchema]:
    """The schema of every codec dataclass in ``roots`` or reachable from them,
    by class name; references between them start with ``ref_prefix``.

    Raises:
        TypeError: a type is not a codec dataclass, a field's markers are not
            supported, or two different classes share a name.
    """
    out: dict[str, JsonSchema] = {}
    owners: dict[str, type] = {}
    todo = list(roots)
    while todo:
        cls = todo.pop(0)
        name = cls.__name__
        if name in owners:
            if owners[name] is not cls:
                raise TypeError(f"two codec types are named {name}: {owners[name]!r}, {cls!r}")
            continue
        owners[name] = cls
        nested: list[type] = []
        out[name] = _object_schema(cls, ref_prefix, nested)
        todo.extend(nested)
    return out


def reference(cls: type, *, ref_prefix: str = DEFS_PREFIX) -> JsonSchema:
    """``{"$ref": ...}`` to the definition of ``cls`` made by :func:`definitions`."""
    return {"$ref": ref_prefix + cls.__name__}


def schema_document(cls: type) -> JsonSchema:
    """A self-contained JSON Schema of the wire form of ``cls``."""
    return {
        "$schema": DIALECT,
        "$ref": DEFS_PREFIX + cls.__name__,
        "$defs": definitions([cls]),
    }


def big_int_pattern(max_bits: int) -> str:
    """Lowercase hex without leading zeros, of at most ``max_bits`` bits."""
    digits = (max_bits + 3) // 4
    top_bits = max_bits - 4 * (digits - 1)
    if top_bits == 4:
        return "^(0|[1-9a-f][0-9a-f]*)$"
    top = format((1 << top_bits) - 1, "x")
    lead = "1" if top == "1" else f"[1-{top}]"
    if digits == 1:
        return f"^(0|{lead})$"
    shorter = "[1-9a-f]" + (f"[0-9a-f]{{0,{digits - 2}}}" if digits > 2 else "")
    return f"^(0|{shorter}|{lead}[0-9a-f]{{{digits - 1}}})$"


# --- the walk: the same steps as codec._build_plan and codec._compile ------------


def _object_schema(cls: type, ref_prefix: str, nested: list[type]) -> JsonSchema:
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise TypeError(f"{cls!r} is not a dataclass")
    info = document_info(cls)
    hints = typing.get_type_hints(cls, include_extras=True)
    properties: dict[str, JsonSchema] = {}
    if info is not None:
        properties["type"] = {"const": info.kind}
        properties["version"] = {"const": info.version}
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        try:
            properties[f.name] = _schema(hints[f.name], (), ref_prefix, nested)
        except TypeError as exc:
            raise TypeError(f"{cls.__qualname__}.{f.name}: {exc}") from None
    out: JsonSchema = {"title": cls.__name__}
    doc = _summary(cls)
    if doc:
        out["description"] = doc
    out.update(
        type="object",
        properties=properties,
        required=list(properties),
        additionalProperties=False,
    )
    return out


def _summary(cls: type) -> str:
    """The first paragraph of the class docstring (not the one dataclass makes up)."""
    doc = inspect.cleandoc(cls.__doc__ or "")
    if doc.startswith(f"{cls.__name__}("):
        return ""
    return " ".join(doc.split("\n\n")[0].split())


def _schema(tp: Any, markers: tuple[Any, ...], ref_prefix: str, nested: list[type]) -> JsonSchema:
    """The schema of type ``tp`` under ``markers`` (outermost first)."""
    if typing.get_origin(tp) is Annotated:
        extra = tuple(m for m in tp.__metadata__ if isinstance(m, _MARKERS))
        return _schema(tp.__origin__, markers + extra, ref_prefix, nested)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (types.UnionType, typing.Union):
        rest = [a for a in args if a is not type(None)]
        if len(rest) != 1 or len(args) != 2:
            raise TypeError(f"unions other than X | None are not supported: {tp}")
        return {"oneOf": [_schema(rest[0], markers, ref_prefix, nested), {"type": "null"}]}
    if origin is tuple:
        if len(args) != 2 or args[1] is not Ellipsis:
            raise TypeError(f"only tuple[X, ...] is supported, got {tp}")
        items = _take(markers, Items, tp)
        return {
            "type": "array",
            "items": _schema(args[0], markers[1:], ref_prefix, nested),
            "minItems": items.lo,
            "maxItems": items.hi,
        }
    if origin is dict:
        if args[0] is not str:
            raise TypeError(f"only dict[str, X] is supported, got {tp}")
        keys = _take(markers, Keys, tp)
        value = _schema(args[1], markers[1:], ref_prefix, nested)
        return {
            "type": "object",
            "properties": {k: value for k in keys.allowed},
            "required": list(keys.required),
            "additionalProperties": False,
        }
    if origin is not None:
        raise TypeError(f"unsupported type {tp}; use tuple[X, ...] or dict[str, X]")
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        if not all(isinstance(m.value, str) for m in tp):
            raise TypeError(f"enum {tp.__name__} must have string values")
        return _leaf({"type": "string", "enum": [m.value for m in tp]}, markers, tp)
    if tp is bool:
        return _leaf({"type": "boolean"}, markers, tp)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        nested.append(tp)
        return _leaf({"$ref": ref_prefix + tp.__name__}, markers, tp)
    if tp is int:
        if markers and isinstance(markers[0], BigInt):
            bits = markers[0].max_bits
            node = {
                "type": "string",
                "pattern": big_int_pattern(bits),
                "maxLength": (bits + 3) // 4,
            }
            return _leaf(node, markers[1:], tp)
        if markers and isinstance(markers[0], SmallInt):
            lo, hi = markers[0].lo, markers[0].hi
            return _leaf({"type": "integer", "minimum": lo, "maximum": hi}, markers[1:], tp)
        raise TypeError(f"int needs a BigInt or SmallInt marker, got {list(markers)}")
    if tp is str:
        text = _take(markers, Text, tp)
        node = {
            "type": "string",
            "minLength": text.lo,
            "maxLength": text.hi,
            "pattern": _NO_CONTROL_MULTILINE if text.multiline else _NO_CONTROL,
        }
        return _leaf(node, markers[1:], tp)
    if tp is bytes:
        size = _take(markers, Bytes, tp).length
        return _leaf({"type": "string", "pattern": f"^[0-9a-f]{{{2 * size}}}$"}, markers[1:], tp)
    raise TypeError(f"unsupported type {tp!r}")


def _take(markers: tuple[Any, ...], kind: type[M], tp: Any) -> M:
    if not markers or not isinstance(markers[0], kind):
        raise TypeError(f"{tp} needs a {kind.__name__} marker, got {list(markers)}")
    return markers[0]


def _leaf(node: JsonSchema, rest: tuple[Any, ...], tp: Any) -> JsonSchema:
    if rest:
        raise TypeError(f"markers {list(rest)} do not apply to {tp}")
    return node
