"""Canonical JSON bytes and a strict JSON reader (docs/spec.md §9).

This is the JSON layer under :mod:`kiemphieu.crypto.codec`; it knows nothing
about schemas.

Canonical bytes: UTF-8, object keys sorted by code point, separators ``,`` and
``:`` with no whitespace, non-ASCII characters written as themselves, no
trailing newline. Only ``null``, ``true``, ``false``, integers, strings, arrays
and objects with string keys are written; floats never are.

The reader refuses, before or instead of producing a value: input longer than
``max_bytes``, invalid UTF-8, anything that is not JSON, duplicate keys,
``NaN``/``Infinity``, any number with a fraction or exponent, integer literals
longer than :data:`MAX_INTEGER_DIGITS` characters or written ``-0``, nesting
deeper than :data:`MAX_DEPTH`, and a top level that is not an object.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import DecodeError

MAX_DEPTH = 32
"""Deepest accepted nesting; the top-level object is depth 1."""

MAX_INTEGER_DIGITS = 40
"""Longest accepted JSON integer literal, sign included (big integers travel as hex)."""

DEFAULT_MAX_BYTES = 1 << 20


class _Refused(Exception):
    """Raised inside the ``json`` hooks; turned into a DecodeError at the root."""


def canonical_bytes(value: object) -> bytes:
    """The canonical JSON bytes of a JSON-ready value (see the module docstring).

    Raises:
        ValueError: ``value`` holds a float, a non-string key, a lone surrogate,
            a type JSON cannot carry, or nests deeper than :data:`MAX_DEPTH`.
    """
    _check_writable(value)
    text = json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("canonical JSON: a string holds a lone surrogate") from None


def _check_writable(value: object) -> None:
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if item is None or isinstance(item, bool | int | str):
            continue
        if depth > MAX_DEPTH:
            raise ValueError(f"canonical JSON: nesting deeper than {MAX_DEPTH}")
        if isinstance(item, dict):
            if not all(type(k) is str for k in item):
                raise ValueError("canonical JSON: object keys must be strings")
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list | tuple):
            stack.extend((v, depth + 1) for v in item)
        else:
            raise ValueError(f"canonical JSON: cannot write a {type(item).__name__}")


def parse_object(raw: bytes | str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> dict[str, Any]:
    """Parse ``raw`` strictly and return its top-level object.

    Raises:
        DecodeError: at ``<root>``, naming the first rule ``raw`` breaks.
    """
    if len(raw) > max_bytes:
        raise DecodeError("", f"input of more than {max_bytes} bytes refused")
    if isinstance(raw, str):
        try:
            raw = raw.encode("utf-8")
        except UnicodeEncodeError:
            raise DecodeError("", "input holds a lone surrogate") from None
        if len(raw) > max_bytes:
            raise DecodeError("", f"input of more than {max_bytes} bytes refused")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DecodeError("", f"invalid UTF-8 at byte {exc.start}") from None
    try:
        value = json.loads(
            text,
            object_pairs_hook=_object,
            parse_float=_refuse_float,
            parse_int=_integer,
            parse_constant=_refuse_constant,
        )
    except _Refused as exc:
        raise DecodeError("", str(exc)) from None
    except RecursionError:
        raise DecodeError("", f"nesting deeper than {MAX_DEPTH}") from None
    except json.JSONDecodeError as exc:
        raise DecodeError(
            "", f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    if type(value) is not dict:
        raise DecodeError("", "the top level must be a JSON object")
    if _too_deep(value):
        raise DecodeError("", f"nesting deeper than {MAX_DEPTH}")
    return value


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Refused(f"duplicate key {_clip(key)}")
            seen.add(key)
    return obj


def _integer(literal: str) -> int:
    if len(literal) > MAX_INTEGER_DIGITS:
        raise _Refused(f"integer literal longer than {MAX_INTEGER_DIGITS} characters")
    if literal == "-0":
        raise _Refused("-0 is not a canonical integer")
    return int(literal)


def _refuse_float(literal: str) -> Any:
    raise _Refused(f"number {_clip(literal)} has a fraction or exponent; only integers allowed")


def _refuse_constant(literal: str) -> Any:
    raise _Refused(f"{literal} is not JSON")


def _too_deep(value: dict[str, Any]) -> bool:
    stack: list[tuple[dict[str, Any] | list[Any], int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False


def _clip(text: str, limit: int = 40) -> str:
    """``repr`` of ``text`` cut to ``limit`` characters."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + "…"
