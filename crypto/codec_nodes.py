"""The codec's nodes: one per annotated field type, shared by encoding and
decoding (docs/spec.md §9.3), and the messages they refuse with (§9.4).

:mod:`.codec` compiles a dataclass's type hints into a tree of these nodes
(records themselves are :class:`~.codec._ObjectNode`, kept there because they
look their plans up); each node checks one value rule in both directions.
"""

from __future__ import annotations

import enum
import operator
import re
import unicodedata
from collections.abc import Iterator
from typing import Any, cast

from .errors import DecodeError
from .schema import BigInt, Bytes, Items, Keys, SmallInt, Text

_SHOWN = 40
_HEX_INT = re.compile(r"0|[1-9a-f][0-9a-f]*")
_HEX = re.compile(r"[0-9a-f]*")
# Cc (C0, DEL, C1) and lone surrogates; the multiline form lets \t and \n through.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_MULTILINE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


# --- messages ----------------------------------------------------------------


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _kind(value: object) -> str:
    """What a value is, in JSON terms, without showing it."""
    if value is None:
        return "null"
    if value is True or value is False:
        return str(value).lower()
    if isinstance(value, int):
        return "a JSON integer"
    if isinstance(value, str):
        return "a JSON string"
    if isinstance(value, list):
        return "a JSON array"
    if isinstance(value, dict):
        return "a JSON object"
    return f"a {type(value).__name__}"


def _show(value: object, secret: bool) -> str:
    """The value cut to 40 characters, or nothing for a secret."""
    if secret:
        return "a hidden value"
    if isinstance(value, str):
        return repr(value) if len(value) <= _SHOWN else repr(value[:_SHOWN]) + "…"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() <= 128:
        return str(value)
    return _kind(value)


def _got(value: object, secret: bool) -> str:
    """``": <value>"`` for a message, or nothing for a secret."""
    return "" if secret else f": {_show(value, False)}"


def _index(value: object) -> int | None:
    """``value`` as a Python int (int, gmpy2.mpz, ...), or None; never a bool."""
    if isinstance(value, bool):
        return None
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        return None


# --- nodes: one per annotated type, shared by encoding and decoding ------------


class _Node:
    __slots__ = ()

    def encode(self, value: Any, path: str, secret: bool) -> Any:
        raise NotImplementedError

    def decode(self, data: Any, path: str, secret: bool) -> Any:
        raise NotImplementedError

    def nested(self) -> Iterator[type]:
        return iter(())


def _refuse_encode(path: str, message: str) -> ValueError:
    return ValueError(f"{path or '<root>'}: {message}")


class _BigIntNode(_Node):
    __slots__ = ("max_bits", "max_digits")

    def __init__(self, marker: BigInt) -> None:
        self.max_bits = marker.max_bits
        self.max_digits = (marker.max_bits + 3) // 4

    def encode(self, value: Any, path: str, secret: bool) -> str:
        number = _index(value)
        if number is None or number < 0 or number.bit_length() > self.max_bits:
            raise _refuse_encode(path, f"not an integer in [0, 2^{self.max_bits})")
        return format(number, "x")

    def decode(self, data: Any, path: str, secret: bool) -> int:
        if type(data) is not str:
            raise DecodeError(path, f"expected a lowercase hex string, got {_kind(data)}")
        if _HEX_INT.fullmatch(data) is None:
            if not data:
                reason = "empty string"
            elif data[0] == "0" and _HEX.fullmatch(data) is not None:
                reason = "leading zero"
            else:
                reason = "not lowercase hex without prefix"
            raise DecodeError(path, f"{reason} in big integer{_got(data, secret)}")
        if len(data) > self.max_digits:
            raise DecodeError(path, f"more than {self.max_bits} bits")
        number = int(data, 16)
        if number.bit_length() > self.max_bits:
            raise DecodeError(path, f"more than {self.max_bits} bits")
        return number


class _SmallIntNode(_Node):
    __slots__ = ("hi", "lo")

    def __init__(self, marker: SmallInt) -> None:
        self.lo, self.hi = marker.lo, marker.hi

    def encode(self, value: Any, path: str, secret: bool) -> int:
        number = _index(value)
        if number is None or not self.lo <= number <= self.hi:
            raise _refuse_encode(path, f"not an integer in [{self.lo}, {self.hi}]")
        return number

    def decode(self, data: Any, path: str, secret: bool) -> int:
        if type(data) is not int:
            raise DecodeError(path, f"expected a JSON integer, got {_kind(data)}")
        if not self.lo <= data <= self.hi:
            raise DecodeError(path, f"not in [{self.lo}, {self.hi}]{_got(data, secret)}")
        return data


class _BytesNode(_Node):
    __slots__ = ("length",)

    def __init__(self, marker: Bytes) -> None:
        self.length = marker.length

    def encode(self, value: Any, path: str, secret: bool) -> str:
        if not isinstance(value, bytes) or len(value) != self.length:
            raise _refuse_encode(path, f"not {self.length} bytes")
        return value.hex()

    def decode(self, data: Any, path: str, secret: bool) -> bytes:
        if type(data) is not str:
            raise DecodeError(path, f"expected a lowercase hex string, got {_kind(data)}")
        if len(data) != 2 * self.length:
            raise DecodeError(path, f"expected {2 * self.length} hex digits, got {len(data)}")
        if _HEX.fullmatch(data) is None:
            raise DecodeError(path, f"not lowercase hex{_got(data, secret)}")
        return bytes.fromhex(data)


class _TextNode(_Node):
    __slots__ = ("control", "hi", "lo")

    def __init__(self, marker: Text) -> None:
        self.lo, self.hi = marker.lo, marker.hi
        self.control = _CONTROL_MULTILINE if marker.multiline else _CONTROL

    def problem(self, text: str, secret: bool) -> str | None:
        bad = self.control.search(text)
        if bad is not None:
            where = "" if secret else f" U+{ord(bad.group()):04X} at position {bad.start()}"
            return f"control character or lone surrogate{where}"
        if not self.lo <= len(text) <= self.hi:
            return f"text of {len(text)} characters, expected {self.lo} to {self.hi}"
        if not unicodedata.is_normalized("NFC", text):
            return f"text is not in Unicode NFC{_got(text, secret)}"
        return None

    def encode(self, value: Any, path: str, secret: bool) -> str:
        if not isinstance(value, str):
            raise _refuse_encode(path, f"expected a str, got {_kind(value)}")
        problem = self.problem(value, secret)
        if problem is not None:
            raise _refuse_encode(path, problem)
        return value

    def decode(self, data: Any, path: str, secret: bool) -> str:
        if type(data) is not str:
            raise DecodeError(path, f"expected a JSON string, got {_kind(data)}")
        problem = self.problem(data, secret)
        if problem is not None:
            raise DecodeError(path, problem)
        return data


class _BoolNode(_Node):
    __slots__ = ()

    def encode(self, value: Any, path: str, secret: bool) -> bool:
        if value is not True and value is not False:
            raise _refuse_encode(path, f"expected a bool, got {_kind(value)}")
        return value

    def decode(self, data: Any, path: str, secret: bool) -> bool:
        if data is not True and data is not False:
            raise DecodeError(path, f"expected true or false, got {_kind(data)}")
        return data


class _EnumNode(_Node):
    __slots__ = ("cls", "members")

    def __init__(self, cls: type[enum.Enum]) -> None:
        self.cls = cls
        self.members = {m.value: m for m in cls}

    def encode(self, value: Any, path: str, secret: bool) -> str:
        if not isinstance(value, self.cls):
            raise _refuse_encode(path, f"expected a {self.cls.__name__}")
        return cast(str, value.value)

    def decode(self, data: Any, path: str, secret: bool) -> enum.Enum:
        if type(data) is not str:
            raise DecodeError(path, f"expected a JSON string, got {_kind(data)}")
        member = self.members.get(data)
        if member is None:
            allowed = ", ".join(repr(v) for v in self.members)
            raise DecodeError(path, f"not one of {allowed[:80]}{_got(data, secret)}")
        return member


class _OptionalNode(_Node):
    __slots__ = ("inner",)

    def __init__(self, inner: _Node) -> None:
        self.inner = inner

    def encode(self, value: Any, path: str, secret: bool) -> Any:
        return None if value is None else self.inner.encode(value, path, secret)

    def decode(self, data: Any, path: str, secret: bool) -> Any:
        return None if data is None else self.inner.decode(data, path, secret)

    def nested(self) -> Iterator[type]:
        return self.inner.nested()


class _ItemsNode(_Node):
    __slots__ = ("hi", "item", "lo")

    def __init__(self, marker: Items, item: _Node) -> None:
        self.lo, self.hi, self.item = marker.lo, marker.hi, item

    def encode(self, value: Any, path: str, secret: bool) -> list[Any]:
        if not isinstance(value, tuple | list) or not self.lo <= len(value) <= self.hi:
            raise _refuse_encode(path, f"expected a tuple of {self.lo} to {self.hi} items")
        encode = self.item.encode
        return [encode(x, f"{path}[{i}]", secret) for i, x in enumerate(value)]

    def decode(self, data: Any, path: str, secret: bool) -> tuple[Any, ...]:
        if type(data) is not list:
            raise DecodeError(path, f"expected a JSON array, got {_kind(data)}")
        if not self.lo <= len(data) <= self.hi:
            raise DecodeError(path, f"{len(data)} items, expected {self.lo} to {self.hi}")
        decode = self.item.decode
        return tuple([decode(x, f"{path}[{i}]", secret) for i, x in enumerate(data)])

    def nested(self) -> Iterator[type]:
        return self.item.nested()


class _KeysNode(_Node):
    __slots__ = ("allowed", "required", "value")

    def __init__(self, marker: Keys, value: _Node) -> None:
        self.allowed, self.required, self.value = marker.allowed, marker.required, value

    def _check_keys(self, keys: Any) -> str | None:
        for key in keys:
            if key not in self.allowed:
                return f"unknown key {_show(key, False)}; allowed: {', '.join(self.allowed)}"
        for key in self.required:
            if key not in keys:
                return f"missing key {key!r}"
        return None

    def encode(self, value: Any, path: str, secret: bool) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise _refuse_encode(path, f"expected a dict, got {_kind(value)}")
        problem = self._check_keys(value)
        if problem is not None:
            raise _refuse_encode(path, problem)
        return {k: self.value.encode(v, _join(path, k), secret) for k, v in value.items()}

    def decode(self, data: Any, path: str, secret: bool) -> dict[str, Any]:
        if type(data) is not dict:
            raise DecodeError(path, f"expected a JSON object, got {_kind(data)}")
        problem = self._check_keys(data)
        if problem is not None:
            raise DecodeError(path, problem)
        decode = self.value.decode
        return {k: decode(data[k], _join(path, k), secret) for k in self.allowed if k in data}

    def nested(self) -> Iterator[type]:
        return self.value.nested()
