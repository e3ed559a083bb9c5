"""The binary wire form of key generation rounds (docs/api.md, docs/spec.md §12.7).

Round payloads reach megabytes (K candidates × 2‖n‖ bits per letter), so
they travel as strict, versioned binary frames instead of hex in JSON:

    post     = "KPKG" 0x01 label sender broadcast letters signature
    delivery = "KPKG" 0x02 label sender broadcast hashes letter signature

    label     = u8 length, ASCII (§12.7 labels only)
    sender    = u8 (1..16)
    broadcast = u32 length, bytes
    letters   = u8 count, then per letter: u8 recipient, u32 length, sealed bytes
                (recipients ascending, none twice, never the sender)
    hashes    = u8 count, then per letter: u8 recipient, 32-byte SHA-256
    letter    = u32 length, the sealed letter for the reader (0: none)
    signature = 64 bytes (§12.7)

A *post* is what a trustee sends; a *delivery* is what the relay returns to
one reader: the sender's broadcast, the hashes of all its letters (so the
reader can check the signature) and the one letter sealed to the reader.
Anything else (trailing bytes, a length past the end, a bad label) is refused.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..errors import DecodeError
from .envelope import SIGNATURE_BYTES, letter_hashes
from .parameters import MAX_KEYGEN_TRUSTEES

MAGIC = b"KPKG"
POST, DELIVERY = 1, 2
MAX_PAYLOAD = 64 << 20
LABEL = re.compile(
    r"a(0|[1-9][0-9]{0,8})/(sieve-(0|[1-9][0-9]?)|product|open|filter|commit|reveal)"
    r"|key/(share|open|confirm)"
)


@dataclass(frozen=True, slots=True)
class RoundPost:
    """What trustee ``sender`` posts for round ``label``: its broadcast, its
    sealed letters by recipient, its signature over both (§12.7)."""

    label: str
    sender: int
    broadcast: bytes = field(repr=False)
    letters: Mapping[int, bytes] = field(repr=False)
    signature: bytes = field(repr=False)

    @property
    def hashes(self) -> dict[int, bytes]:
        """SHA-256 of each sealed letter, by recipient."""
        return letter_hashes(self.letters)


@dataclass(frozen=True, slots=True)
class RoundDelivery:
    """What the relay hands one reader of sender's round message."""

    label: str
    sender: int
    broadcast: bytes = field(repr=False)
    hashes: Mapping[int, bytes] = field(repr=False)
    letter: bytes = field(repr=False)
    signature: bytes = field(repr=False)


def _head(kind: int, label: str, sender: int, broadcast: bytes) -> bytes:
    if LABEL.fullmatch(label) is None:
        raise ValueError(f"not a key generation round label: {label!r}")
    if not 1 <= sender <= MAX_KEYGEN_TRUSTEES:
        raise ValueError("sender out of range")
    raw = label.encode("ascii")
    return MAGIC + bytes([kind, len(raw)]) + raw + bytes([sender]) + _blob(broadcast)


def _blob(data: bytes) -> bytes:
    if len(data) > MAX_PAYLOAD:
        raise ValueError("payload too large")
    return struct.pack(">I", len(data)) + data


def encode_post(post: RoundPost) -> bytes:
    """The post frame; ValueError for a value outside the format."""
    out = [_head(POST, post.label, post.sender, post.broadcast), bytes([len(post.letters)])]
    for j in sorted(post.letters):
        if j == post.sender or not 1 <= j <= MAX_KEYGEN_TRUSTEES:
            raise ValueError("letter recipient out of range")
        out.append(bytes([j]) + _blob(post.letters[j]))
    if len(post.signature) != SIGNATURE_BYTES:
        raise ValueError("signature must be 64 bytes")
    out.append(post.signature)
    return b"".join(out)


def encode_delivery(d: RoundDelivery) -> bytes:
    """The delivery frame; ValueError for a value outside the format."""
    out = [_head(DELIVERY, d.label, d.sender, d.broadcast), bytes([len(d.hashes)])]
    for j in sorted(d.hashes):
        if len(d.hashes[j]) != 32:
            raise ValueError("a letter hash is 32 bytes")
        out.append(bytes([j]) + d.hashes[j])
    out.append(_blob(d.letter))
    out.append(d.signature)
    return b"".join(out)


class _Reader:
    def __init__(self, data: bytes, what: str) -> None:
        self.data, self.pos, self.what = data, 0, what

    def take(self, n: int, name: str) -> bytes:
        if self.pos + n > len(self.data):
            raise DecodeError(f"{self.what}.{name}", "frame ends too early")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def u8(self, name: str) -> int:
        return self.take(1, name)[0]

    def blob(self, name: str) -> bytes:
        (length,) = struct.unpack(">I", self.take(4, name))
        if length > MAX_PAYLOAD:
            raise DecodeError(f"{self.what}.{name}", "payload too large")
        return self.take(length, name)

    def recipient(self, name: str, sender: int, seen: set[int]) -> int:
        j = self.u8(name)
        if not 1 <= j <= MAX_KEYGEN_TRUSTEES or j == sender or (seen and j <= max(seen)):
            raise DecodeError(f"{self.what}.{name}", "recipients must ascend, not the sender")
        seen.add(j)
        return j

    def head(self, kind: int) -> tuple[str, int, bytes]:
        if self.take(4, "magic") != MAGIC or self.u8("kind") != kind:
            raise DecodeError(self.what, "not a key generation frame of this kind or version")
        raw = self.take(self.u8("label"), "label")
        label = raw.decode("ascii", errors="replace")
        if LABEL.fullmatch(label) is None:
            raise DecodeError(f"{self.what}.label", "not a key generation round label")
        sender = self.u8("sender")
        if not 1 <= sender <= MAX_KEYGEN_TRUSTEES:
            raise DecodeError(f"{self.what}.sender", "sender out of range")
        return label, sender, self.blob("broadcast")

    def end(self) -> None:
        if self.pos != len(self.data):
            raise DecodeError(self.what, "trailing bytes after the frame")


def decode_post(data: bytes) -> RoundPost:
    """Read a post frame strictly; DecodeError naming the part."""
    r = _Reader(data, "post")
    label, sender, broadcast = r.head(POST)
    seen: set[int] = set()
    letters = {}
    for _ in range(r.u8("letters")):
        j = r.recipient("letters", sender, seen)
        letters[j] = r.blob("letters")
    signature = r.take(SIGNATURE_BYTES, "signature")
    r.end()
    return RoundPost(label, sender, broadcast, letters, signature)


def split_deliveries(data: bytes) -> list[RoundDelivery]:
    """Read a concatenation of delivery frames strictly."""
    r = _Reader(data, "delivery")
    out = []
    while r.pos < len(data):
        label, sender, broadcast = r.head(DELIVERY)
        seen: set[int] = set()
        hashes = {}
        for _ in range(r.u8("hashes")):
            j = r.recipient("hashes", sender, seen)
            hashes[j] = r.take(32, "hashes")
        letter = r.blob("letter")
        signature = r.take(SIGNATURE_BYTES, "signature")
        out.append(RoundDelivery(label, sender, broadcast, hashes, letter, signature))
    r.end()
    return out
