"""Field annotations read by the codec (docs/spec.md §9).

Public types are frozen dataclasses whose fields carry one of these markers
through ``typing.Annotated``; :mod:`kiemphieu.crypto.codec` derives the strict
wire form from them, so the type is the schema.

    class MembershipProof:
        a: Annotated[tuple[int, ...], Items(1, 64), BigInt(8192)]

Markers are read left to right as the type is descended: a container marker
(``Items`` for ``tuple[X, ...]``, ``Keys`` for ``dict[str, X]``) applies to the
container and the markers after it apply to each item or value. ``bool``,
``enum.Enum`` subclasses with string values, nested dataclasses and ``X | None``
need no marker of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class BigInt:
    """Non-negative integer of at most ``max_bits`` bits, wire form: lowercase hex, no
    leading zeros (``"0"`` for zero)."""

    max_bits: int

    def __post_init__(self) -> None:
        if self.max_bits < 1:
            raise ValueError(f"BigInt needs max_bits >= 1, got {self.max_bits}")


@dataclass(frozen=True, slots=True)
class SmallInt:
    """Integer in [lo, hi], wire form: a JSON number."""

    lo: int
    hi: int

    def __post_init__(self) -> None:
        if self.lo > self.hi:
            raise ValueError(f"SmallInt needs lo <= hi, got [{self.lo}, {self.hi}]")


@dataclass(frozen=True, slots=True)
class Bytes:
    """Exactly ``length`` bytes, wire form: lowercase hex of 2·length characters."""

    length: int

    def __post_init__(self) -> None:
        if self.length < 0:
            raise ValueError(f"Bytes needs length >= 0, got {self.length}")


@dataclass(frozen=True, slots=True)
class Text:
    """A Unicode string of ``lo``..``hi`` characters, NFC, no control characters
    except newline (and tab) when ``multiline``."""

    lo: int = 0
    hi: int = 256
    multiline: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.lo <= self.hi:
            raise ValueError(f"Text needs 0 <= lo <= hi, got [{self.lo}, {self.hi}]")


@dataclass(frozen=True, slots=True)
class Items:
    """A tuple of ``lo``..``hi`` items, wire form: a JSON array. The item's own
    marker follows ``Items`` in the same ``Annotated``."""

    lo: int
    hi: int

    def __post_init__(self) -> None:
        if not 0 <= self.lo <= self.hi:
            raise ValueError(f"Items needs 0 <= lo <= hi, got [{self.lo}, {self.hi}]")


@dataclass(frozen=True, slots=True, init=False)
class Keys:
    """A map from a fixed set of string keys, wire form: a JSON object.

    ``Keys("vi", "en", required=("vi",))`` allows the keys ``vi`` and ``en``
    and requires ``vi``; without ``required`` every listed key is required.
    The value's marker follows ``Keys`` in the same ``Annotated``:

        title: Annotated[dict[str, str], Keys("vi", "en", required=("vi",)), Text(1, 200)]
    """

    allowed: tuple[str, ...]
    required: tuple[str, ...]

    def __init__(self, *allowed: str, required: Iterable[str] | None = None) -> None:
        needed = allowed if required is None else tuple(required)
        if not allowed or len(set(allowed)) != len(allowed):
            raise ValueError("Keys needs distinct allowed keys")
        if not all(isinstance(k, str) and k.isascii() and k.isprintable() for k in allowed):
            raise ValueError("Keys allows printable ASCII keys only")
        if len(set(needed)) != len(needed) or not set(needed) <= set(allowed):
            raise ValueError("Keys: required keys must be distinct and among the allowed keys")
        object.__setattr__(self, "allowed", tuple(allowed))
        object.__setattr__(self, "required", tuple(needed))


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    """Set by :func:`document` on top-level types: wire ``type`` and ``version``."""

    kind: str
    version: int


DOCUMENT_ATTR = "__kiemphieu_document__"


def document(kind: str, version: int) -> Callable[[type[T]], type[T]]:
    """Mark a dataclass as a top-level document: its wire form carries
    ``"type": kind`` and ``"version": version`` and the codec refuses others."""

    if not kind or not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ValueError("a document needs a non-empty kind and a version >= 1")

    def mark(cls: type[T]) -> type[T]:
        setattr(cls, DOCUMENT_ATTR, DocumentInfo(kind, version))
        return cls

    return mark


def document_info(cls: Any) -> DocumentInfo | None:
    """The document marker of ``cls``, if any."""
    info = getattr(cls, DOCUMENT_ATTR, None)
    return info if isinstance(info, DocumentInfo) else None
