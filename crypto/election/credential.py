"""Voter credentials: typable codes and their Ed25519 keys (docs/spec.md §8.4).

A code is 26 characters of Crockford's base-32 alphabet (130 random bits)
and one check character (Damm, over GF(32)), shown in groups of four:
``ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-23C``. Reading a code forgives case, spaces,
hyphens and the look-alikes O→0, I→1, L→1.

The key pair is derived from the code, the election id and the registrar's
key with HKDF-SHA256 (RFC 5869): salt ``"kiemphieu/v1/credential/key"``, IKM
the 26 data characters in ASCII, info the election id in UTF-8, a zero byte
and the registrar's 32-byte Ed25519 key; 32 bytes of output are the Ed25519
seed. The server only ever sees the public key.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

import nacl.exceptions
import nacl.signing

from ..errors import InvalidSignature
from ..primitives import rng
from ..primitives.transcript import DOMAIN_PREFIX, Tag

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
DATA_CHARS = 26
GROUP = 4
_LOOKALIKE = str.maketrans({"O": "0", "I": "1", "L": "1"})
KDF_SALT = (DOMAIN_PREFIX + Tag.CREDENTIAL_KEY.value).encode("ascii")


class CredentialCodeError(ValueError):
    """A typed code is malformed or its check character is wrong."""


def damm_step(interim: int, digit: int) -> int:
    """interim ∘ digit = 2·interim + digit in GF(32) (x^5 + x^2 + 1; + is XOR).

    x ∘ y = a·x + y with a ∉ {0, 1} is a totally anti-symmetric quasigroup, so a
    Damm check character catches every single-character error and every swap
    of two adjacent characters (including the check character itself)."""
    doubled = (interim << 1) & 31
    if interim & 16:
        doubled ^= 0b00101  # x^5 = x^2 + 1
    return doubled ^ digit


def check_character(data: str) -> str:
    """The Damm check character c over GF(32): folding every data character
    and then c with :func:`damm_step` from 0 ends at 0."""
    interim = 0
    for ch in data:
        interim = damm_step(interim, ALPHABET.index(ch))
    return ALPHABET[damm_step(interim, 0)]


def format_code(data: str) -> str:
    """The display form: data plus check character, grouped by four with hyphens."""
    full = data + check_character(data)
    return "-".join(full[i : i + GROUP] for i in range(0, len(full), GROUP))


def new_code() -> str:
    """A fresh random credential code in display form."""
    value = rng.random_bits(5 * DATA_CHARS)
    data = "".join(ALPHABET[(value >> (5 * i)) & 31] for i in range(DATA_CHARS))
    return format_code(data)


def parse_code(typed: str) -> str:
    """Normalize a typed code and check it; return the 26 data characters.

    Only ASCII is accepted (checked before upper-casing, so that no Unicode
    case mapping such as ı → I can turn a foreign letter into a code letter).
    """
    if not typed.isascii():
        raise CredentialCodeError("a code holds only ASCII letters, digits, spaces and hyphens")
    cleaned = "".join(ch for ch in typed.upper() if ch not in " -\t\n").translate(_LOOKALIKE)
    if len(cleaned) != DATA_CHARS + 1:
        raise CredentialCodeError(f"a code has {DATA_CHARS + 1} characters, got {len(cleaned)}")
    bad = sorted({ch for ch in cleaned if ch not in ALPHABET})
    if bad:
        raise CredentialCodeError(f"characters not in the code alphabet: {''.join(bad)}")
    data, check = cleaned[:DATA_CHARS], cleaned[DATA_CHARS]
    if check_character(data) != check:
        raise CredentialCodeError("check character does not match: the code is mistyped")
    return data


def hkdf_sha256(ikm: bytes, salt: bytes, info: bytes, length: int = 32) -> bytes:
    """HKDF-SHA256 extract-and-expand (RFC 5869)."""
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    out = b""
    block = b""
    counter = 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


@dataclass(frozen=True, slots=True)
class CredentialKey:
    """A voter's signing key for one election; the seed never shows in a repr."""

    election_id: str
    public: bytes
    seed: bytes = field(repr=False)

    def sign(self, message: bytes) -> bytes:
        """Ed25519 signature (64 bytes) of ``message``."""
        return bytes(nacl.signing.SigningKey(self.seed).sign(message).signature)


def kdf_info(election_id: str, registrar: bytes) -> bytes:
    """HKDF info: the election id in UTF-8, a zero byte, the registrar's key (§8.4)."""
    if len(registrar) != 32:
        raise ValueError("the registrar's key is 32 bytes")
    return election_id.encode("utf-8") + b"\x00" + registrar


def derive_key(code: str, election_id: str, registrar: bytes) -> CredentialKey:
    """The key pair of a typed code for ``election_id`` under the registrar key
    ``registrar`` (§8.4). The key depends on the registrar's key, so a server
    that swaps the registrar (and with it the whole election) cannot list a
    voter's credential without the code."""
    data = parse_code(code)
    seed = hkdf_sha256(data.encode("ascii"), KDF_SALT, kdf_info(election_id, registrar))
    public = bytes(nacl.signing.SigningKey(seed).verify_key)
    return CredentialKey(election_id, public, seed)


def verify_signature(public: bytes, message: bytes, signature: bytes) -> None:
    """Check an Ed25519 signature; raises InvalidSignature."""
    try:
        nacl.signing.VerifyKey(public).verify(message, signature)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError, ValueError) as exc:
        raise InvalidSignature("credential signature does not verify") from exc
