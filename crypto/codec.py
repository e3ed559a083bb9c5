"""Strict, versioned wire codec for every public type (docs/spec.md §9).

A public type is a frozen dataclass whose fields carry markers from
:mod:`kiemphieu.crypto.schema` through ``typing.Annotated``; the codec reads
the type hints once per class and derives the wire form from them:

    to_wire(obj) -> dict          from_wire(cls, data) -> obj
    dumps(obj) -> bytes           loads(cls, raw) -> obj

Canonical rules (the spec states them normatively):

* Every ``init`` field of a dataclass is a key of its JSON object, always
  present, named as the field; ``None`` travels as ``null`` and a field typed
  ``X | None`` must still be present. Defaults have no wire meaning. Fields
  with ``init=False`` are derived and never travel.
* A document class (``schema.document(kind, version)``) also carries
  ``"type": kind`` and ``"version": version``, wherever it appears.
* Unknown keys, missing keys and wrong JSON types are refused; so is every
  value that breaks its marker. Nothing is coerced or normalized on input.
* Every refusal is a :class:`DecodeError` whose path names the field, for
  example ``answers[2].proof.z[1]``; values are shown cut to 40 characters,
  and never for a field declared ``field(repr=False)`` or anything inside it.

Encoding checks the same rules and raises ``ValueError`` naming the path, so
whatever :func:`dumps` writes, :func:`loads` reads back to an equal object.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Iterator
from typing import Annotated, Any, TypeVar, cast

from .canonical_json import DEFAULT_MAX_BYTES, canonical_bytes, parse_object
from .codec_nodes import (
    _BigIntNode,
    _BoolNode,
    _BytesNode,
    _EnumNode,
    _ItemsNode,
    _join,
    _KeysNode,
    _kind,
    _Node,
    _OptionalNode,
    _refuse_encode,
    _show,
    _SmallIntNode,
    _TextNode,
)
from .errors import DecodeError, KiemphieuCryptoError
from .schema import BigInt, Bytes, Items, Keys, SmallInt, Text, document_info

T = TypeVar("T")

_MARKERS = (BigInt, SmallInt, Bytes, Text, Items, Keys)


# --- public API --------------------------------------------------------------


def to_wire(obj: object) -> dict[str, Any]:
    """The JSON-ready wire form of a codec dataclass instance.

    Raises:
        ValueError: a field breaks its marker (the message names its path).
        TypeError: ``type(obj)`` is not a codec dataclass.
    """
    return _object_node(type(obj)).encode(obj, "", False)


def from_wire(cls: type[T], data: object, *, path: str = "") -> T:
    """Decode ``data`` (parsed JSON) as an instance of ``cls``.

    ``path`` prefixes every error path, for decoding part of a larger object.

    Raises:
        DecodeError: ``data`` breaks a rule; ``path`` names the field.
        TypeError: ``cls`` is not a codec dataclass (a programming error).
    """
    return cast(T, _object_node(cls).decode(data, path, False))


def dumps(obj: object) -> bytes:
    """Canonical JSON bytes of ``obj``: the bytes the protocol hashes."""
    return canonical_bytes(to_wire(obj))


def loads(cls: type[T], raw: bytes | str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> T:
    """Parse ``raw`` strictly (see :mod:`.canonical_json`) and decode it as ``cls``.

    Raises:
        DecodeError: the input is too long, not strict JSON, or breaks a rule of ``cls``.
    """
    return from_wire(cls, parse_object(raw, max_bytes=max_bytes))


def check_schema(cls: type) -> None:
    """Build the plan of ``cls`` and of every dataclass reachable from it.

    Raises:
        TypeError: a field's type or markers are not supported, named by class and field.
    """
    seen: set[type] = set()
    todo = [cls]
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo.extend(n for f in _plan(current).fields for n in f.node.nested())


@dataclasses.dataclass(frozen=True, slots=True)
class _Field:
    name: str
    node: _Node
    secret: bool


@dataclasses.dataclass(frozen=True, slots=True)
class _Plan:
    fields: tuple[_Field, ...]
    keys: frozenset[str]
    kind: str | None
    version: int


class _ObjectNode(_Node):
    """A dataclass; its plan is looked up on first use so types may recurse."""

    __slots__ = ("cls",)

    def __init__(self, cls: type) -> None:
        self.cls = cls

    def encode(self, value: Any, path: str, secret: bool) -> dict[str, Any]:
        if type(value) is not self.cls:
            raise _refuse_encode(path, f"expected a {self.cls.__name__}, got {_kind(value)}")
        plan = _plan(self.cls)
        out: dict[str, Any] = {}
        if plan.kind is not None:
            out["type"], out["version"] = plan.kind, plan.version
        for f in plan.fields:
            out[f.name] = f.node.encode(
                getattr(value, f.name), _join(path, f.name), secret or f.secret
            )
        return out

    def decode(self, data: Any, path: str, secret: bool) -> Any:
        if type(data) is not dict:
            raise DecodeError(path, f"expected a JSON object, got {_kind(data)}")
        plan = _plan(self.cls)
        if plan.kind is not None:
            _check_document(data, path, plan.kind, plan.version)
        if data.keys() != plan.keys:
            for key in data:
                if key not in plan.keys:
                    raise DecodeError(path, f"unknown key {_show(key, False)}")
            for f in plan.fields:
                if f.name not in data:
                    raise DecodeError(_join(path, f.name), "required key missing")
        values = {
            f.name: f.node.decode(data[f.name], _join(path, f.name), secret or f.secret)
            for f in plan.fields
        }
        try:
            return self.cls(**values)
        except DecodeError:
            raise
        except (ValueError, KiemphieuCryptoError) as exc:
            raise DecodeError(path, str(exc)) from exc

    def nested(self) -> Iterator[type]:
        return iter((self.cls,))


def _check_document(data: dict[str, Any], path: str, kind: str, version: int) -> None:
    if "type" not in data:
        raise DecodeError(_join(path, "type"), "required key missing")
    if data["type"] != kind or type(data["type"]) is not str:
        raise DecodeError(
            _join(path, "type"),
            f"expected document type {kind!r}, got {_show(data['type'], False)}",
        )
    if "version" not in data:
        raise DecodeError(_join(path, "version"), "required key missing")
    if type(data["version"]) is not int or data["version"] != version:
        raise DecodeError(
            _join(path, "version"),
            f"unsupported version {_show(data['version'], False)} of {kind!r}; "
            f"this codec reads version {version}",
        )


# --- plans: built once per class from its type hints ---------------------------


_NODES: dict[type, _ObjectNode] = {}
_PLANS: dict[type, _Plan] = {}


def _object_node(cls: type) -> _ObjectNode:
    node = _NODES.get(cls)
    if node is None:
        _plan(cls)
        node = _NODES[cls] = _ObjectNode(cls)
    return node


def _plan(cls: type) -> _Plan:
    """The cached plan of ``cls`` (a dict write is atomic; a race only builds it twice)."""
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _PLANS[cls] = _build_plan(cls)
    return plan


def _build_plan(cls: type) -> _Plan:
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise TypeError(f"{cls!r} is not a dataclass")
    if not cls.__dataclass_params__.frozen:  # type: ignore[attr-defined]
        raise TypeError(f"{cls.__qualname__}: codec types must be frozen dataclasses")
    info = document_info(cls)
    hints = typing.get_type_hints(cls, include_extras=True)
    fields = []
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        if info is not None and f.name in ("type", "version"):
            raise TypeError(f"{cls.__qualname__}.{f.name}: reserved in a document")
        try:
            node = _compile(hints[f.name], ())
        except TypeError as exc:
            raise TypeError(f"{cls.__qualname__}.{f.name}: {exc}") from None
        fields.append(_Field(f.name, node, not f.repr))
    keys = {f.name for f in fields} | ({"type", "version"} if info is not None else set())
    return _Plan(
        tuple(fields),
        frozenset(keys),
        info.kind if info is not None else None,
        info.version if info is not None else 0,
    )


def _compile(tp: Any, markers: tuple[Any, ...]) -> _Node:
    """The node for type ``tp`` under ``markers`` (outermost first)."""
    if typing.get_origin(tp) is Annotated:
        extra = tuple(m for m in tp.__metadata__ if isinstance(m, _MARKERS))
        return _compile(tp.__origin__, markers + extra)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (types.UnionType, typing.Union):
        rest = [a for a in args if a is not type(None)]
        if len(rest) != 1 or len(args) != 2:
            raise TypeError(f"unions other than X | None are not supported: {tp}")
        return _OptionalNode(_compile(rest[0], markers))
    if origin is tuple:
        if len(args) != 2 or args[1] is not Ellipsis:
            raise TypeError(f"only tuple[X, ...] is supported, got {tp}")
        head = _take(markers, Items, tp)
        return _ItemsNode(head, _compile(args[0], markers[1:]))
    if origin is dict:
        if args[0] is not str:
            raise TypeError(f"only dict[str, X] is supported, got {tp}")
        keys = _take(markers, Keys, tp)
        return _KeysNode(keys, _compile(args[1], markers[1:]))
    if origin is not None:
        raise TypeError(f"unsupported type {tp}; use tuple[X, ...] or dict[str, X]")
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        if not all(isinstance(m.value, str) for m in tp):
            raise TypeError(f"enum {tp.__name__} must have string values")
        return _leaf(_EnumNode(tp), markers, tp)
    if tp is bool:
        return _leaf(_BoolNode(), markers, tp)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _leaf(_ObjectNode(tp), markers, tp)
    if tp is int:
        if markers and isinstance(markers[0], BigInt):
            return _leaf(_BigIntNode(markers[0]), markers[1:], tp)
        if markers and isinstance(markers[0], SmallInt):
            return _leaf(_SmallIntNode(markers[0]), markers[1:], tp)
        raise TypeError(f"int needs a BigInt or SmallInt marker, got {list(markers)}")
    if tp is str:
        return _leaf(_TextNode(_take(markers, Text, tp)), markers[1:], tp)
    if tp is bytes:
        return _leaf(_BytesNode(_take(markers, Bytes, tp)), markers[1:], tp)
    raise TypeError(f"unsupported type {tp!r}")


def _take(markers: tuple[Any, ...], kind: type[T], tp: Any) -> T:
    if not markers or not isinstance(markers[0], kind):
        raise TypeError(f"{tp} needs a {kind.__name__} marker, got {list(markers)}")
    return markers[0]


def _leaf(node: _Node, rest: tuple[Any, ...], tp: Any) -> _Node:
    if rest:
        raise TypeError(f"markers {list(rest)} do not apply to {tp}")
    return node
