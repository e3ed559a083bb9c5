"""Deterministic generator of the known-answer vectors in tests/vectors/.

    python tests/vectors/generate.py            # (re)write every *.json file here
    python tests/vectors/generate.py --check    # exit 1 if a committed file differs

Every value derives from fixed labels through :class:`HashCoins` (SHA-256 in
counter mode), so two runs write byte-identical files. The moduli are small
TEST moduli (``KeyPolicy.TESTING``) whose primes are found by a deterministic
upward search (:func:`safe_prime`); they are published in the files and must
never protect anything. This module is a test tool: nothing in ``crypto/``
imports it, and production code never draws its randomness from it.

The Python tests (tests/unit/test_vectors.py) and the JavaScript booth's tests
read the same files; see tests/vectors/README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import gmpy2
import nacl.public
import nacl.signing

from kiemphieu.crypto import SPEC_VERSION, codec
from kiemphieu.crypto.election import attestation as at
from kiemphieu.crypto.election import audit as au
from kiemphieu.crypto.election import ballot as bl
from kiemphieu.crypto.election import board
from kiemphieu.crypto.election import committee as cm
from kiemphieu.crypto.election import credential as cr
from kiemphieu.crypto.election import roll as rl_
from kiemphieu.crypto.election import rules as rl
from kiemphieu.crypto.election import tally as tl
from kiemphieu.crypto.election.ceremony import (
    Generation,
    KeyCeremony,
    ceremony_hash,
    check_test_decryption,
    derive_test_randomness,
    publish,
    verify_key_ceremony,
)
from kiemphieu.crypto.election.context import ElectionContext, manifest_hash
from kiemphieu.crypto.election.manifest import (
    Choice,
    LocalizedText,
    Manifest,
    Question,
    QuestionKind,
)
from kiemphieu.crypto.election.result import compute_result
from kiemphieu.crypto.keygen.envelope import Route, commitment, message_digest, session_hash
from kiemphieu.crypto.keygen.evidence import KeyGeneration, open_broadcast, reveal_broadcast
from kiemphieu.crypto.primitives.combination import (
    DecryptionShare,
    combine,
    decryption_share,
    verify_decryption_share,
)
from kiemphieu.crypto.primitives.paillier import KeyPolicy, PublicKey
from kiemphieu.crypto.primitives.proofs import factor as fc
from kiemphieu.crypto.primitives.proofs import membership as mb
from kiemphieu.crypto.primitives.proofs import pedersen as pd
from kiemphieu.crypto.primitives.proofs.decryption import mask_bits
from kiemphieu.crypto.primitives.proofs.modulus import verify_modulus
from kiemphieu.crypto.primitives.threshold import Dealing, KeyShare, check_share, deal
from kiemphieu.crypto.primitives.transcript import (
    DOMAIN_PREFIX,
    Item,
    Tag,
    challenge,
    digest,
    encode_items,
    expand,
    hash_to_unit,
)

HERE = Path(__file__).resolve().parent
GENERATOR = "tests/vectors/generate.py"
FORMAT_VERSION = 1
"""Version of the layout of these files (not of the protocol)."""

ELECTION_ID = "test-election"
"""The election of tests/conftest.py; the 512-bit key, ballots and tally use it."""
LARGE_ELECTION_ID = "test-election-1024"
BITS = 512
LARGE_BITS = 1024
TALLY_TRUSTEES = (1, 3, 5)

COINS_DOMAIN = b"kiemphieu-vectors/v1/coins"
COINS_RULE = (
    "HashCoins(label): block_j = SHA-256('kiemphieu-vectors/v1/coins' || 0x00 || "
    "UTF-8(label) || 0x00 || j as 8-byte big-endian), j = 0, 1, ...; the blocks form one "
    "byte stream consumed in order. bits(k): the next ceil(k/8) bytes read big-endian, "
    "shifted right to keep the top k bits. unit(N): repeat x = bits(|N|) until 0 < x < N "
    "and gcd(x, N) = 1. below(N): repeat x = bits(|N|) until x < N."
)
PRIME_RULE = (
    "safe_prime(label, bits): h = HashCoins('safe-prime/' + label).bits(bits - 1) "
    "| 3 * 2^(bits - 3) | 1; p' runs over h, h + 2, h + 4, ...; the first p' with p' and "
    "2p' + 1 both prime gives p = 2p' + 1 (bits long, top two bits set, p = 3 mod 4)."
)
INTEGERS_RULE = (
    "Big integers are lowercase hex strings without prefix or leading zeros ('0' for zero); "
    "byte strings are lowercase hex; small counts and indices are JSON integers; objects "
    "with a codec type are in its exact wire form (crypto.codec.to_wire, docs/spec.md §9)."
)
TEST_ONLY = (
    "TEST vectors under KeyPolicy.TESTING with published primes: never use these keys, "
    "codes or seeds for anything real."
)


class VectorError(RuntimeError):
    """The generator produced something inconsistent: a bug in it or in crypto/."""


# --- deterministic randomness (test tool only) ----------------------------------


class HashCoins:
    """Deterministic coins: SHA-256 in counter mode over a label (see COINS_RULE).

    Satisfies the ``Coins`` protocol of crypto/election/ballot.py. Only the
    vector generator uses it; production draws from crypto/primitives/rng.py.
    """

    def __init__(self, label: str) -> None:
        self.label = label
        self._prefix = COINS_DOMAIN + b"\x00" + label.encode("utf-8") + b"\x00"
        self._counter = 0
        self._buffer = b""

    def _take(self, count: int) -> bytes:
        while len(self._buffer) < count:
            block = self._prefix + self._counter.to_bytes(8, "big")
            self._buffer += hashlib.sha256(block).digest()
            self._counter += 1
        out, self._buffer = self._buffer[:count], self._buffer[count:]
        return out

    def bits(self, k: int) -> int:
        """A k-bit integer: the top k bits of the next ceil(k/8) bytes."""
        if k <= 0:
            raise ValueError("bits: k must be positive")
        size = (k + 7) // 8
        return int.from_bytes(self._take(size), "big") >> (8 * size - k)

    def below(self, bound: int) -> int:
        """An integer in [0, bound) by rejection."""
        if bound <= 0:
            raise ValueError("below: bound must be positive")
        while True:
            x = self.bits(bound.bit_length())
            if x < bound:
                return x

    def unit(self, n: int) -> int:
        """An element of Z*_n by rejection."""
        while True:
            x = self.bits(n.bit_length())
            if 0 < x < n and math.gcd(x, n) == 1:
                return x


def safe_prime(label: str, bits: int) -> int:
    """The first safe prime at or above a hash-derived start (see PRIME_RULE)."""
    half = HashCoins(f"safe-prime/{label}").bits(bits - 1) | (3 << (bits - 3)) | 1
    small = int(gmpy2.primorial(2000)) // 2
    while True:
        if half.bit_length() != bits - 1:
            raise VectorError(f"safe prime search for {label!r} ran out of {bits}-bit range")
        p = 2 * half + 1
        if (
            math.gcd(half * p, small) == 1
            and gmpy2.powmod(2, half - 1, half) == 1
            and gmpy2.powmod(2, p - 1, p) == 1
            and gmpy2.is_prime(half, 40)
            and gmpy2.is_prime(p, 40)
        ):
            return p
        half += 2


# --- helpers ----------------------------------------------------------------------


def hexint(x: int) -> str:
    """A non-negative integer as lowercase hex, the codec's BigInt form."""
    if x < 0:
        raise VectorError("hexint: negative integer")
    return format(x, "x")


def about(contents: str, **extra: Any) -> dict[str, Any]:
    """The provenance block of one file."""
    return {
        "generator": GENERATOR,
        "format": FORMAT_VERSION,
        "spec": "docs/spec.md",
        "spec_version": SPEC_VERSION,
        "contents": contents,
        "integers": INTEGERS_RULE,
        "test_only": TEST_ONLY,
        **extra,
    }


def render(doc: Mapping[str, Any]) -> bytes:
    """Pretty JSON with sorted keys, UTF-8, one trailing newline."""
    return (json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def _text(vi: str, en: str) -> LocalizedText:
    return LocalizedText(vi, en)


def make_manifest(election_id: str = ELECTION_ID) -> Manifest:
    """The test manifest: tests/conftest.py's fixtures take it from here, so the
    vectors and the tests share one definition (and the generator needs no pytest)."""
    levels = (
        Choice("high", _text("Tín nhiệm cao", "High confidence")),
        Choice("mid", _text("Tín nhiệm", "Confidence")),
        Choice("low", _text("Tín nhiệm thấp", "Low confidence")),
    )
    people = tuple(Choice(f"p{i}", _text(f"Người {i}", f"Person {i}")) for i in range(1, 6))
    motion = tuple(
        Choice(cid, _text(vi, en))
        for cid, vi, en in (
            ("yes", "Đồng ý", "Yes"),
            ("no", "Không đồng ý", "No"),
            ("abstain", "Không biểu quyết", "Abstain"),
        )
    )
    candidates = tuple(
        Choice(f"c{i}", _text(f"Ứng viên {i}", f"Candidate {i}")) for i in range(1, 6)
    )
    return Manifest(
        election_id=election_id,
        title=_text("Lấy phiếu tín nhiệm thử", "Test confidence vote"),
        description=_text("Cuộc bầu cử dùng cho kiểm thử.", "An election for the tests."),
        questions=(
            Question(
                "leaders",
                QuestionKind.CONFIDENCE,
                _text("Lãnh đạo", "Leaders"),
                levels,
                people,
                blank=True,
            ),
            Question("motion", QuestionKind.SINGLE, _text("Nghị quyết", "Motion"), motion),
            Question(
                "board",
                QuestionKind.MULTIPLE,
                _text("Ban chấp hành", "Board"),
                candidates,
                min_choices=1,
                max_choices=3,
            ),
        ),
    )


def new_code(coins: HashCoins) -> str:
    """A credential code from coins, drawn exactly as credential.new_code draws it."""
    value = coins.bits(5 * cr.DATA_CHARS)
    data = "".join(cr.ALPHABET[(value >> (5 * i)) & 31] for i in range(cr.DATA_CHARS))
    return cr.format_code(data)


def votes_json(votes: Mapping[str, bl.Vote]) -> dict[str, Any]:
    """Votes in JSON: a list (null = blank) per confidence question, an index or
    null per single choice, a sorted list of indices per multiple choice."""
    out: dict[str, Any] = {}
    for qid, vote in votes.items():
        if isinstance(vote, frozenset):
            out[qid] = sorted(vote)
        elif isinstance(vote, tuple):
            out[qid] = list(vote)
        else:
            out[qid] = vote
    return out


# --- keys -----------------------------------------------------------------------------

REGISTRAR_NAME = "Vụ Tổ chức cán bộ"
TRUSTEE_NAMES = (
    "Đỗ Thị Hương",
    "Bùi Văn Khánh",
    "Hoàng Thị Ngọc",
    "Ngô Quang Vinh",
    "Đặng Thu Trang",
)


def seed_of(label: str) -> bytes:
    """A 32-byte Ed25519 or X25519 seed: HashCoins(label).bits(256)."""
    return HashCoins(label).bits(256).to_bytes(32, "big")


def make_committee(label: str, size: int, bits: int) -> cm.Committee:
    """Deterministic members: identity and sealing seeds, ring-Pedersen
    parameters on one pair of test safe primes (each member its own t, λ and
    proof coins), cards signed by the identity keys; and the registrar."""
    primes = (
        safe_prime(f"{label}/pedersen/p", bits // 2),
        safe_prime(f"{label}/pedersen/q", bits // 2),
    )
    n_hat = primes[0] * primes[1]
    phi = (primes[0] - 1) * (primes[1] - 1)
    members = []
    for i in range(1, size + 1):
        identity = seed_of(f"{label}/trustee-{i}/identity")
        sealing = nacl.public.PrivateKey(seed_of(f"{label}/trustee-{i}/sealing"))
        coins = HashCoins(f"{label}/trustee-{i}/pedersen")
        drawn = [
            coins.unit(n_hat),
            coins.below(phi),
            *[coins.below(phi) for _ in range(pd.ITERATIONS)],
        ]
        verify_key = bytes(nacl.signing.SigningKey(identity).verify_key)
        params = pd.make_ring_pedersen(
            bits, cm.pedersen_binding(verify_key), primes=primes, coins=drawn
        )
        name = TRUSTEE_NAMES[(i - 1) % len(TRUSTEE_NAMES)]
        role = "Trưởng ban kiểm phiếu" if i == 1 else "Ủy viên"
        card = cm.make_card(identity, bytes(sealing.public_key), name, role, params)
        members.append(cm.place(i, card))
    registrar = cm.make_registrar(seed_of(f"{label}/registrar"), REGISTRAR_NAME)
    return cm.Committee(tuple(members), registrar)


class KeySetup:
    """A deterministic test dealing and what made it."""

    def __init__(
        self,
        label: str,
        election_id: str,
        bits: int,
        *,
        t: int,
        l: int,  # noqa: E741 - the spec's symbol ℓ
        subsets: tuple[tuple[int, ...], ...],
    ) -> None:
        self.label = label
        self.subsets = subsets
        self.election_id = election_id
        self.bits = bits
        self.p = safe_prime(f"{label}/p", bits // 2)
        self.q = safe_prime(f"{label}/q", bits // 2)
        if self.p == self.q:
            raise VectorError("the two test primes coincide")
        n = self.p * self.q
        nm = n * ((self.p - 1) // 2) * ((self.q - 1) // 2)
        coins = HashCoins(f"{label}/dealing")
        self.coefficients = tuple(coins.below(nm) for _ in range(t - 1))
        self.test_r = coins.unit(n)
        self.committee = make_committee(label, l, bits)
        verifiers = [m.pedersen for m in self.committee.trustees]
        factor_coins = HashCoins(f"{label}/factor-proofs")
        self.factor_coins = [
            [factor_coins.below(b) for b in fc.coin_bounds(n, v.n_hat)] for v in verifiers
        ]
        self.dealing: Dealing = deal(
            election_id,
            bits,
            t,
            l,
            KeyPolicy.TESTING,
            verifiers=verifiers,
            primes=(self.p, self.q),
            coefficients=self.coefficients,
            test_r=self.test_r,
            modulus_w=None,
            factor_coins=self.factor_coins,
        )
        self.ceremony = publish(self.dealing, election_id, self.committee)

    @property
    def n(self) -> int:
        return self.dealing.public.n


class Material:
    """Keys and election shared by several files, made once."""

    def __init__(self) -> None:
        self.key = KeySetup("test-512", ELECTION_ID, BITS, t=3, l=5, subsets=((1, 2, 3), (2, 4, 5)))
        self.large = KeySetup(
            "test-1024", LARGE_ELECTION_ID, LARGE_BITS, t=2, l=3, subsets=((1, 2), (3, 1))
        )
        self.manifest = make_manifest()
        self.election = ElectionContext(self.manifest, self.key.ceremony, KeyPolicy.TESTING)
        self.voter = cr.derive_key(
            new_code(HashCoins("ballot/credential")), ELECTION_ID, self.election.registrar_key
        )


# --- transcript.json --------------------------------------------------------------------


def typed(x: Item) -> Any:
    """A hash item in typed JSON: {"int": hex}, {"bytes": hex}, {"text": s}, {"list": [...]}."""
    if isinstance(x, bool):
        raise VectorError("booleans are not hash items")
    if isinstance(x, int):
        return {"int": hexint(x)}
    if isinstance(x, bytes):
        return {"bytes": x.hex()}
    if isinstance(x, str):
        return {"text": x}
    return {"list": [typed(y) for y in x]}


def unit_attempt(tag: Tag, modulus: int, items: Sequence[Item]) -> tuple[int, int]:
    """(value, attempt) of hash_to_unit, found by repeating its definition (spec §2.3)."""
    bits = modulus.bit_length() + 128
    for attempt in range(1000):
        x = expand(tag, bits, *items, attempt) % modulus
        if 0 < x < modulus and math.gcd(x, modulus) == 1:
            return x, attempt
    raise VectorError("hash_to_unit: no unit in 1000 attempts")


def build_transcript(mat: Material) -> dict[str, Any]:
    n = mat.key.n
    h_e = mat.election.hash
    small = 3 * 5 * 7 * 11 * 13  # few units: exercises the retry of hash_to_unit
    nfc = "Lấy phiếu tín nhiệm"
    nfd = "La\u0302\u0301y phie\u0302\u0301u ti\u0301n nhie\u0323\u0302m"
    cases: list[tuple[str, Tag, list[Item], int]] = [
        ("manifest: canonical JSON bytes", Tag.MANIFEST, ['{"a":"Đ"}'.encode()], small),
        (
            "base: version, id, manifest hash, key-ceremony hash",
            Tag.BASE,
            [SPEC_VERSION, ELECTION_ID, bytes(range(32)), bytes(range(32, 64))],
            n,
        ),
        ("threshold/v: id, n, attempt", Tag.GENERATOR_V, [ELECTION_ID, n, 0], n * n),
        ("modulus-proof/w: id, n, k, attempt", Tag.MODULUS_PROOF_W, [ELECTION_ID, n, 0, 0], n),
        ("modulus-proof/y: id, n, w, i", Tag.MODULUS_PROOF_Y, [ELECTION_ID, n, 2, 127], small),
        (
            "decryption-proof: H_E, n, v, v_i, i, c, c_i, a, b",
            Tag.DECRYPTION_PROOF,
            [h_e, n, 4, 9, 1, 16, 25, 36, 49],
            small,
        ),
        (
            "membership-proof: H_E, credential, question, part, n, M, c, a",
            Tag.MEMBERSHIP_PROOF,
            [h_e, bytes(32), "board", "sum", n, [1, 2, 3], 12345, [6, 7, 8]],
            n,
        ),
        ("credential/key: the tag alone", Tag.CREDENTIAL_KEY, [], small),
        ("ballot/signature: empty bytes", Tag.BALLOT_SIGNATURE, [b""], small),
        (
            "ballot: text is UTF-8 exactly as given, NFC and NFD differ",
            Tag.BALLOT,
            [nfc, nfd, "Đồng ý — ưu tiên"],
            small,
        ),
        ("ceremony/test-ciphertext: zero", Tag.TEST_CIPHERTEXT, [ELECTION_ID, 0], small),
        (
            "board/roll: integer edges and nested lists",
            Tag.BOARD_ROLL,
            [0, 1, 255, 256, 2**64 - 1, 2**256, [], [0, [b"\x00", "ư", []], 7], b"\xff\x00"],
            small,
        ),
    ]
    covered = {tag for _, tag, _, _ in cases}
    cases += [
        (f"{tag.value}: generic items", tag, [ELECTION_ID, 1, b"\x01"], small)
        for tag in Tag
        if tag not in covered
    ]
    out = []
    for name, tag, items, modulus in cases:
        value, attempt = unit_attempt(tag, modulus, items)
        if value != hash_to_unit(tag, modulus, *items):
            raise VectorError(f"{name}: hash_to_unit disagrees with its definition")
        out.append(
            {
                "name": name,
                "tag": tag.value,
                "domain": DOMAIN_PREFIX + tag.value,
                "items": [typed(x) for x in items],
                "encoding": encode_items(tag, items).hex(),
                "digest": digest(tag, *items).hex(),
                "challenge": hexint(challenge(tag, *items)),
                "expand": {"bits": 300, "value": hexint(expand(tag, 300, *items))},
                "hash_to_unit": {
                    "modulus": hexint(modulus),
                    "value": hexint(value),
                    "attempt": attempt,
                },
            }
        )
    return {
        "about": about(
            "Hash transcript (spec §2): for each case the tag, the typed items, the exact "
            "bytes encode_items hashes, the SHA-256 digest, challenge (first 16 bytes), "
            "expand(tag, 300, items) and hash_to_unit(tag, modulus, items) with the attempt "
            "that succeeded. 'refused' items must make encoding fail.",
        ),
        "cases": out,
        "refused": [
            {"item": {"int": "-1"}, "reason": "negative integer"},
            {"item": {"bool": True}, "reason": "boolean"},
        ],
    }


# --- paillier.json ------------------------------------------------------------------------


def paillier_key(n: int, label: str) -> dict[str, Any]:
    pk = PublicKey(n)
    coins = HashCoins(label)
    plaintexts = [0, 1, 1 << 24, 1 << 72, n - 1, coins.below(n)]
    cases = []
    for m in plaintexts:
        r = coins.unit(n)
        cases.append(
            {"m": hexint(m), "r": hexint(r), "rn": hexint(pk.rn(r)), "c": hexint(pk.encrypt(m, r))}
        )
    sums = []
    for i, j in ((1, 2), (3, 4), (4, 5)):
        m = (int(cases[i]["m"], 16) + int(cases[j]["m"], 16)) % n
        r = int(cases[i]["r"], 16) * int(cases[j]["r"], 16) % n
        c = pk.add(int(cases[i]["c"], 16), int(cases[j]["c"], 16))
        if c != pk.encrypt(m, r):
            raise VectorError("homomorphic sum is not Enc(m1 + m2; r1·r2)")
        sums.append({"of": [i, j], "m": hexint(m), "r": hexint(r), "c": hexint(c)})
    scales = []
    for i, k in ((2, 3), (5, 1000)):
        c = pk.scale(int(cases[i]["c"], 16), k)
        m = int(cases[i]["m"], 16) * k % n
        r = pow(int(cases[i]["r"], 16), k, n)
        scales.append({"of": i, "k": k, "m": hexint(m), "r": hexint(r), "c": hexint(c)})
    return {"bits": n.bit_length(), "n": hexint(n), "cases": cases, "sums": sums, "scales": scales}


def build_paillier(mat: Material) -> dict[str, Any]:
    return {
        "about": about(
            "Paillier with g = n + 1 (spec §3): per key, Enc(m; r) = (1 + m·n)·r^n mod n² "
            "with rn = r^n mod n²; 'sums' multiply ciphertexts 'of' two cases (plaintexts "
            "add mod n, randomness multiplies mod n); 'scales' raise case 'of' to k.",
            coins=COINS_RULE,
            seeds=["paillier/512", "paillier/1024"],
        ),
        "keys": [
            paillier_key(mat.key.n, "paillier/512"),
            paillier_key(mat.large.n, "paillier/1024"),
        ],
    }


# --- credential.json ----------------------------------------------------------------------

CODE_DATA_FIXED = "0123456789ABCDEFGHJKMNPQRS"
SIGNED_MESSAGE = "Phiếu bầu thử nghiệm / test message".encode()


def credential_entry(code: str, election_id: str, registrar: bytes) -> dict[str, Any]:
    key = cr.derive_key(code, election_id, registrar)
    data = cr.parse_code(code)
    signature = key.sign(SIGNED_MESSAGE)
    cr.verify_signature(key.public, SIGNED_MESSAGE, signature)
    return {
        "code": code,
        "election_id": election_id,
        "registrar": registrar.hex(),
        "info": cr.kdf_info(election_id, registrar).hex(),
        "data": data,
        "check": cr.check_character(data),
        "seed": key.seed.hex(),
        "public": key.public.hex(),
        "message": SIGNED_MESSAGE.hex(),
        "signature": signature.hex(),
    }


def _swap(s: str, i: int) -> str:
    return s[:i] + s[i + 1] + s[i] + s[i + 2 :]


def _typo(s: str, i: int) -> str:
    repl = cr.ALPHABET[(cr.ALPHABET.index(s[i]) + 1) % 32]
    return s[:i] + repl + s[i + 1 :]


def build_credential(mat: Material) -> dict[str, Any]:
    coins = HashCoins("credential/codes")
    fixed = cr.format_code(CODE_DATA_FIXED)
    codes = [fixed, *(new_code(coins) for _ in range(3))]
    registrar = mat.election.registrar_key
    other_registrar = bytes(
        nacl.signing.SigningKey(seed_of("credential/other-registrar")).verify_key
    )
    entries = [credential_entry(c, ELECTION_ID, registrar) for c in codes]
    entries.append(credential_entry(codes[1], LARGE_ELECTION_ID, registrar))
    entries.append(credential_entry(codes[1], "other-election", registrar))
    entries.append(credential_entry(codes[1], ELECTION_ID, other_registrar))
    flat = fixed.replace("-", "")
    normalization = [
        ("lower case", fixed.lower()),
        ("spaces for hyphens", fixed.replace("-", " ")),
        ("no separators", flat),
        (
            "tabs, newline, surrounding spaces",
            "  " + flat[:9] + "\t" + flat[9:18] + "\n" + flat[18:] + " ",
        ),
        ("O for 0", fixed.replace("0", "O")),
        ("o for 0, i for 1", fixed.lower().replace("0", "o").replace("1", "i")),
        ("L for 1", fixed.replace("1", "L")),
        (
            "l for 1, mixed groups",
            "-".join(flat[i : i + 3] for i in range(0, 27, 3)).replace("1", "l"),
        ),
    ]
    norm = []
    for what, typed_in in normalization:
        data = cr.parse_code(typed_in)
        norm.append({"what": what, "input": typed_in, "data": data, "code": cr.format_code(data)})
    other = codes[2].replace("-", "")
    invalid = [
        ("length", "one character missing", flat[:-1]),
        ("length", "one character too many", flat + "0"),
        ("length", "empty", ""),
        ("length", "carriage return is not forgiven", flat[:13] + "\r" + flat[13:]),
        ("alphabet", "U is not in the alphabet", "U" + flat[1:]),
        ("alphabet", "punctuation", flat[:26] + "*"),
        ("ascii", "non-ASCII letter", "Đ" + flat[1:]),
        ("ascii", "dotless i would upper-case to I", "ı" + flat[1:]),
        ("check", "wrong check character", flat[:26] + _typo(flat, 26)[26]),
        ("check", "single-character typo", _typo(other, 5)),
        ("check", "adjacent swap", _swap(other, 10)),
    ]
    bad = []
    for reason, what, typed_in in invalid:
        try:
            cr.parse_code(typed_in)
        except cr.CredentialCodeError:
            bad.append({"reason": reason, "what": what, "input": typed_in})
        else:
            raise VectorError(f"invalid code example accepted: {what}")
    return {
        "about": about(
            "Credential codes and keys (spec §8.4): display code, its 26 data characters, "
            "the Damm check character over GF(32), the HKDF-SHA256 seed (salt "
            "'kiemphieu/v1/credential/key', IKM the data characters, info the election "
            "id, a zero byte and the registrar's identity key), the Ed25519 public key and "
            "a signature of 'message' (the last entry: the same code under another "
            "registrar's key); normalization "
            "examples (input -> data and canonical code); invalid inputs with the reason "
            "(length, alphabet, check); RFC 5869 A.1 and RFC 8032 7.1 TEST 1 for the "
            "underlying HKDF and Ed25519.",
            coins=COINS_RULE,
            seeds=["credential/codes", "credential/other-registrar"],
        ),
        "alphabet": cr.ALPHABET,
        "kdf_salt": cr.KDF_SALT.decode("ascii"),
        "codes": entries,
        "normalization": norm,
        "invalid": bad,
        "hkdf_rfc5869": {
            "source": "RFC 5869 Appendix A.1",
            "ikm": (b"\x0b" * 22).hex(),
            "salt": bytes(range(13)).hex(),
            "info": bytes(range(0xF0, 0xFA)).hex(),
            "length": 42,
            "okm": cr.hkdf_sha256(
                b"\x0b" * 22, bytes(range(13)), bytes(range(0xF0, 0xFA)), 42
            ).hex(),
        },
        "ed25519_rfc8032": {
            "source": "RFC 8032 section 7.1, TEST 1",
            "seed": "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            "public": "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            "message": "",
            "signature": (
                "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb88215"
                "90a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
            ),
        },
    }


# --- membership.json ----------------------------------------------------------------------


def membership_case(
    name: str,
    n: int,
    allowed: Sequence[int],
    index: int,
    *,
    binding: tuple[bytes, bytes],
    place: tuple[str, str],
) -> dict[str, Any]:
    """One proof; ``binding`` is (context, credential), ``place`` (question, part)."""
    (context, credential), (question, part) = binding, place
    pk = PublicKey(n)
    coins = HashCoins(f"membership/{name}")
    r = coins.unit(n)
    c = pk.encrypt(allowed[index], r)
    simulated = tuple((coins.bits(128), coins.unit(n)) for _ in range(len(allowed) - 1))
    nonces = mb.MembershipNonces(coins.unit(n), simulated)
    st = mb.MembershipStatement(c, tuple(allowed), context, credential, question, part)
    proof = mb.prove(pk, st, index, r, nonces=nonces)
    mb.verify(pk, st, proof)
    return {
        "name": name,
        "n": hexint(n),
        "statement": {
            "c": hexint(c),
            "allowed": [hexint(m) for m in allowed],
            "context": context.hex(),
            "credential": credential.hex(),
            "question": question,
            "part": part,
        },
        "witness": {
            "index": index,
            "r": hexint(r),
            "w": hexint(nonces.w),
            "simulated": [{"e": hexint(e), "z": hexint(z)} for e, z in simulated],
        },
        "challenge": hexint(mb.fiat_shamir(pk, st, proof.a)),
        "proof": codec.to_wire(proof),
    }


def build_membership(mat: Material) -> dict[str, Any]:
    n, bound = mat.key.n, (mat.election.hash, mat.voter.public)
    slots = tuple(mat.election.radix**j for j in range(4))
    return {
        "about": about(
            "Membership proofs (spec §7): statement (n, c, allowed set M, context H_E, "
            "credential, question, part), the witness (index of the true branch, r with "
            "c = Enc(M[index]; r)) and the prover's nonces (w for the true branch, (e, z) "
            "per simulated branch in branch order, skipping the true one), the "
            "Fiat-Shamir challenge e and the proof (a, e, z). Context and credential are "
            "H_E and the voter key of ballot.json; the 1024-bit case uses its own key.",
            coins=COINS_RULE,
            draw_order="r = unit(n); then per simulated branch e = bits(128), z = unit(n); "
            "then w = unit(n)",
            seeds="membership/<name>",
        ),
        "cases": [
            membership_case("binary", n, (0, 1), 1, binding=bound, place=("board", "c2")),
            membership_case("slots", n, slots, 2, binding=bound, place=("leaders", "p3")),
            membership_case("range", n, (1, 2, 3), 0, binding=bound, place=("board", "sum")),
            membership_case(
                "binary-1024", mat.large.n, (0, 1), 0, binding=bound, place=("board", "c1")
            ),
        ],
    }


# --- ballot.json --------------------------------------------------------------------------

BALLOT_VOTES: dict[str, bl.Vote] = {
    "leaders": (0, 1, 2, None, 0),
    "motion": 1,
    "board": frozenset({0, 3}),
}
BALLOT_DRAW_ORDER = (
    "encrypt_ballot draws, per question in manifest order and per part in part order: "
    "r = unit(n), then (k - 1) simulated branches in branch order skipping the true one, "
    "each e = bits(128) then z = unit(n), then w = unit(n); after the parts of a multiple "
    "choice, the sum proof draws its simulated branches and w the same way (its r is the "
    "product of the parts' r mod n)."
)


def build_ballot(mat: Material) -> dict[str, Any]:
    ctx = mat.election
    code_coins = HashCoins("ballot/credential")
    code = new_code(code_coins)
    key = cr.derive_key(code, ELECTION_ID, ctx.registrar_key)
    ballot = bl.encrypt_ballot(ctx, key, BALLOT_VOTES, coins=HashCoins("ballot/0"))
    verified = bl.verify_ballot(ctx, ballot)
    return {
        "about": about(
            "One ballot (spec §8.5): the test manifest (as tests/conftest.py make_manifest), "
            "the key ceremony of threshold.json (committee, key, proofs, x_T, c_T) and its "
            "hash, the manifest hash and base hash H_E, the credential "
            "code, the votes (per question: level index or null per row; option index; "
            "sorted option indices), the coins seed, the ballot's wire form, the signed "
            "message H(ballot/signature, ballot with zero signature) and the tracking code.",
            coins=COINS_RULE,
            draw_order=BALLOT_DRAW_ORDER,
            credential_seed="ballot/credential (code = the 26 characters of bits(130), "
            "5 bits each from the least significant, as credential.new_code)",
        ),
        "policy": KeyPolicy.TESTING.value,
        "manifest": codec.to_wire(ctx.manifest),
        "manifest_canonical": codec.dumps(ctx.manifest).decode("utf-8"),
        "manifest_hash": manifest_hash(ctx.manifest).hex(),
        "key_ceremony": codec.to_wire(ctx.ceremony),
        "key_ceremony_hash": ceremony_hash(ctx.ceremony).hex(),
        "base_hash": ctx.hash.hex(),
        "code": code,
        "credential": key.public.hex(),
        "votes": votes_json(BALLOT_VOTES),
        "coins_seed": "ballot/0",
        "ballot": codec.to_wire(ballot),
        "signing_message": bl.signing_message(ballot).hex(),
        "tracking_code": verified.tracking_code.hex(),
    }


# --- audit.json ---------------------------------------------------------------------------

AUDIT_VOTES: dict[str, bl.Vote] = {
    "leaders": (None, 2, 0, None, 1),
    "motion": 0,
    "board": frozenset({1, 2, 4}),
}


def build_audit(mat: Material) -> dict[str, Any]:
    ctx = mat.election
    code = new_code(HashCoins("audit/credential"))
    key = cr.derive_key(code, ELECTION_ID, ctx.registrar_key)
    coins = au.RecordingCoins(HashCoins("audit/0"))
    ballot = bl.encrypt_ballot(ctx, key, AUDIT_VOTES, coins=coins)
    audit = au.make_audit(ctx, ballot, AUDIT_VOTES, coins.drawn)
    if au.check_audit(ctx, audit) != AUDIT_VOTES:
        raise VectorError("the audit does not check to its votes")
    return {
        "about": about(
            "A ballot audit (spec §8.11) under the key and manifest of ballot.json: the "
            "credential code, the votes, the coins seed, and the ballot-audit document (the "
            "ballot with a zero signature, the selections as allowed-set indices per part, "
            "every coin in draw order) that check_audit re-encrypts to the same bytes.",
            coins=COINS_RULE,
            draw_order=BALLOT_DRAW_ORDER,
            seeds=["audit/credential", "audit/0"],
        ),
        "code": code,
        "credential": key.public.hex(),
        "votes": votes_json(AUDIT_VOTES),
        "coins_seed": "audit/0",
        "audit": codec.to_wire(audit),
        "tracking_code_if_cast": bl.tracking_code(ballot).hex(),
    }


# --- threshold.json, threshold-1024.json --------------------------------------------------


def build_threshold(setup: KeySetup, context: bytes, context_what: str) -> dict[str, Any]:
    dealing = setup.dealing
    pk = dealing.public
    verify_modulus(pk.n, dealing.modulus_proof, setup.election_id)
    verify_key_ceremony(setup.ceremony, KeyPolicy.TESTING)
    pedersen_primes = (
        safe_prime(f"{setup.label}/pedersen/p", setup.bits // 2),
        safe_prime(f"{setup.label}/pedersen/q", setup.bits // 2),
    )
    c = dealing.test_ciphertext
    coins = HashCoins(f"{setup.label}/decryption")
    bits = mask_bits(pk.n, pk.delta)
    shares = []
    posted = {}
    for share in dealing.shares:
        r = coins.bits(bits)
        ds = decryption_share(share, c, context, r=r)
        posted[share.index] = verify_decryption_share(pk, c, ds, context)
        shares.append({"r": hexint(r), "share": codec.to_wire(ds)})
    combos = []
    for subset in setup.subsets:
        plain = combine(pk, c, [posted[i] for i in subset])
        if plain != dealing.test_plaintext:
            raise VectorError(f"subset {subset} does not decrypt the test ciphertext")
        combos.append({"trustees": list(subset), "plaintext": hexint(plain)})
    return {
        "about": about(
            f"Threshold dealing (spec §4-§6), {setup.bits}-bit modulus, t = {pk.t} of "
            f"ℓ = {pk.l}: the TEST-ONLY primes p, q, the Shamir coefficients a_1..a_(t-1) "
            "and test ciphertext randomness test_r given to deal(), the public key "
            "(n, v, vks, t), the key shares s_i, the modulus proof, the ceremony test "
            "plaintext and ciphertext, each trustee's decryption share of it with its "
            "proof and mask r, and the plaintext combined from two t-subsets; the "
            "committee's ring-Pedersen primes, the factor proofs' coins, and the whole "
            "key ceremony (committee with signed cards and Π^prm, key, modulus proof, "
            "one factor proof per trustee, x_T, c_T) with its hash H(key-ceremony, bytes).",
            coins=COINS_RULE,
            primes=PRIME_RULE,
            seeds=[
                f"{setup.label}/dealing",
                f"{setup.label}/decryption",
                f"{setup.label}/trustee-<i>/identity",
                f"{setup.label}/trustee-<i>/sealing",
                f"{setup.label}/trustee-<i>/pedersen",
                f"{setup.label}/registrar",
                f"{setup.label}/factor-proofs",
            ],
            draw_order="dealing: a_1..a_(t-1) = below(n·p'·q') then test_r = unit(n); "
            "decryption: r = bits(|n²| + |Δ| + 256) per trustee in index order; "
            "identity and sealing seeds: bits(256) as 32 bytes big-endian; pedersen: "
            "r = unit(N̂) (t = r² mod N̂), λ = below(φ(N̂)), a_1..a_128 = below(φ(N̂)); "
            "factor-proofs: per trustee in index order α, β, μ, ν, σ̂, r, x, y, each "
            "below its bound (spec §6.5)",
            context=context_what,
        ),
        "election_id": setup.election_id,
        "bits": setup.bits,
        "test_only_secret_primes": {
            "warning": "TEST ONLY: the factorization of n is public; never use this key",
            "p": hexint(setup.p),
            "q": hexint(setup.q),
        },
        "coefficients": [hexint(a) for a in setup.coefficients],
        "test_r": hexint(setup.test_r),
        "key": codec.to_wire(pk),
        "delta": hexint(pk.delta),
        "shares": [{"index": s.index, "s": hexint(s.s)} for s in dealing.shares],
        "modulus_proof": codec.to_wire(dealing.modulus_proof),
        "test_plaintext": hexint(dealing.test_plaintext),
        "test_ciphertext": hexint(c),
        "pedersen_primes": {
            "warning": "TEST ONLY: every member's N̂ is built from these two primes",
            "p": hexint(pedersen_primes[0]),
            "q": hexint(pedersen_primes[1]),
        },
        "factor_coins": [[hexint(x) for x in coins] for coins in setup.factor_coins],
        "key_ceremony": codec.to_wire(setup.ceremony),
        "key_ceremony_hash": ceremony_hash(setup.ceremony).hex(),
        "context": context.hex(),
        "decryption_shares": shares,
        "combinations": combos,
    }


# --- keygen.json: a key the committee generated (§12.8) -----------------------------------

RECORDED_KEYGEN = "recorded/keygen-512.json"
"""A recorded run of the committee's key generation (tests/vectors/make_keygen_ceremony.py):
random, so made once and kept; this generator only reads and re-verifies it."""
KEYGEN_SUBSETS = ((1, 2, 3), (5, 3, 4))


def _digest_of(session: bytes, label: str, sender: int, broadcast: bytes, hashes: Any) -> str:
    return message_digest(Route(session, label, sender), broadcast, hashes).hex()


def keygen_rounds(ceremony: KeyCeremony, transcript: KeyGeneration) -> dict[str, Any]:
    """The session σ and, per trustee, the exact bytes and digests its three
    signed rounds cover (§12.7, §12.8), recomputed from the transcript."""
    key = ceremony.key
    bits = key.n.bit_length()
    session = session_hash(
        ceremony.election_id,
        transcript.run,
        bits=bits,
        t=key.t,
        l=key.l,
        batch=transcript.batch,
        identity_keys=[m.identity_key for m in ceremony.committee.trustees],
    )
    prefix = f"a{transcript.attempt}"
    entries = []
    for e in transcript.entries:
        opening = reveal_broadcast(e.salt, e.biprimality, bits)
        if commitment(session, f"{prefix}/commit", e.index, opening) != e.commitment:
            raise VectorError(f"trustee {e.index}: the opening differs from its commitment")
        opened = open_broadcast(e.y, e.commitments, bits)
        hashes = {h.recipient: h.sha256 for h in e.letters}
        entries.append(
            {
                "index": e.index,
                "commit": {
                    "label": f"{prefix}/commit",
                    "broadcast": e.commitment.hex(),
                    "digest": _digest_of(session, f"{prefix}/commit", e.index, e.commitment, {}),
                },
                "reveal": {
                    "label": f"{prefix}/reveal",
                    "broadcast": opening.hex(),
                    "digest": _digest_of(session, f"{prefix}/reveal", e.index, opening, {}),
                },
                "open": {
                    "label": "key/open",
                    "broadcast": opened.hex(),
                    "letters": [[r, hashes[r].hex()] for r in sorted(hashes)],
                    "digest": _digest_of(session, "key/open", e.index, opened, hashes),
                },
            }
        )
    return {"session": session.hex(), "entries": entries}


def build_keygen(mat: Material) -> dict[str, Any]:
    """The recorded generated key, verified again from its JSON, with the
    values a reimplementation recomputes (σ, the signed bytes, r_T)."""
    path = HERE / RECORDED_KEYGEN
    raw = path.read_bytes()
    recorded = json.loads(raw)
    ceremony = codec.from_wire(KeyCeremony, recorded["key_ceremony"])
    transcript = ceremony.transcript
    if ceremony.generation is not Generation.COMMITTEE or transcript is None:
        raise VectorError(f"{RECORDED_KEYGEN}: not a key the committee generated")
    if ceremony.committee != mat.key.committee:
        raise VectorError(f"{RECORDED_KEYGEN}: not the committee of threshold.json")
    verified = verify_key_ceremony(ceremony, KeyPolicy.TESTING)
    pk = ceremony.key
    manifest = make_manifest(ceremony.election_id)
    election = ElectionContext(manifest, ceremony, KeyPolicy.TESTING)
    if election.hash.hex() != recorded["context"]:
        raise VectorError(f"{RECORDED_KEYGEN}: the recorded context is not H_E")
    c = ceremony.test_ciphertext
    shares = {}
    for s in recorded["test_only_key_shares"]:
        shares[s["index"]] = check_share(KeyShare(s["index"], int(s["s"], 16), pk))
    posted = []
    for d in recorded["decryption_shares"]:
        share = codec.from_wire(DecryptionShare, d["share"])
        again = decryption_share(shares[share.index], c, election.hash, r=int(d["r"], 16))
        if again != share:
            raise VectorError(f"trustee {share.index}: the recorded decryption share differs")
        posted.append(share)
    by_index = {v.index: v for v in check_test_decryption(verified, posted, election.hash)}
    combos = []
    for subset in KEYGEN_SUBSETS:
        plain = combine(pk, c, [by_index[i] for i in subset])
        combos.append({"trustees": list(subset), "plaintext": hexint(plain)})
    return {
        "about": about(
            f"A key generated by the committee (spec §12), {pk.n.bit_length()} bits, "
            f"t = {pk.t} of ℓ = {pk.l}, recorded once by "
            "tests/vectors/make_keygen_ceremony.py (a run is random) and verified again "
            "here: the key ceremony v3 (generation 'committee', no modulus or factor "
            "proofs, the key-generation transcript), its hash, the test manifest for its "
            "election and H_E; the session σ = H(keygen/session, election id, run, ‖n‖, "
            "t, ℓ, K, [identity keys]) and, per trustee, each signed round's label, "
            "broadcast bytes (reveal: salt ‖ 64 values in ⌈‖n‖/8⌉ bytes; key/open: y in "
            "⌈(3‖n‖ + 1280)/8⌉ bytes ‖ each C in ⌈2‖n‖/8⌉ bytes), letter hashes and "
            "message digest H(keygen/message, σ, label, sender, broadcast, letters); "
            "r_T = hash_to_unit(keygen/test-randomness, n, election id, n), x_T, c_T; the "
            "trustees' key shares, their decryption shares of c_T under H_E with the "
            "proofs' masks r, and two t-subsets' combinations. The committee is the one "
            "of threshold.json.",
            recorded=RECORDED_KEYGEN,
            recorded_sha256=hashlib.sha256(raw).hexdigest(),
        ),
        "election_id": ceremony.election_id,
        "bits": pk.n.bit_length(),
        "batch": transcript.batch,
        "manifest": codec.to_wire(manifest),
        "key_ceremony": codec.to_wire(ceremony),
        "key_ceremony_hash": ceremony_hash(ceremony).hex(),
        "base_hash": election.hash.hex(),
        **keygen_rounds(ceremony, transcript),
        "test_randomness": hexint(derive_test_randomness(ceremony.election_id, pk.n)),
        "test_plaintext": hexint(ceremony.test_plaintext),
        "test_ciphertext": hexint(c),
        "test_only_key_shares": recorded["test_only_key_shares"],
        "decryption_shares": recorded["decryption_shares"],
        "combinations": combos,
    }


# --- tally.json ---------------------------------------------------------------------------

TALLY_VOTES: tuple[dict[str, bl.Vote], ...] = (
    {"leaders": (0, 1, 2, None, 0), "motion": 1, "board": frozenset({0, 3})},
    {"leaders": (None, 0, 0, 1, 2), "motion": 0, "board": frozenset({1})},
    {"leaders": (2, 2, 1, 0, None), "motion": 2, "board": frozenset({0, 1, 4})},
    {"leaders": (1, None, 0, 2, 1), "motion": 0, "board": frozenset({2, 3})},
)


def build_tally(mat: Material) -> dict[str, Any]:
    ctx = mat.election
    ballots = []
    entries = []
    for i, votes in enumerate(TALLY_VOTES):
        code = new_code(HashCoins(f"tally/credential/{i}"))
        key = cr.derive_key(code, ELECTION_ID, ctx.registrar_key)
        ballot = bl.encrypt_ballot(ctx, key, votes, coins=HashCoins(f"tally/ballot/{i}"))
        ballots.append(bl.verify_ballot(ctx, ballot))
        entries.append(
            {
                "code": code,
                "votes": votes_json(votes),
                "coins_seed": f"tally/ballot/{i}",
                "ballot": codec.to_wire(ballot),
            }
        )
    enc = tl.accumulate(ctx, ballots)
    packed = tl.pack(ctx, enc)
    by_index = {s.index: s for s in mat.key.dealing.shares}
    coins = HashCoins("tally/decryption")
    bits = mask_bits(ctx.key.n, ctx.key.delta)
    groups = []
    plaintexts = []
    for c in packed:
        shares = []
        verified = []
        for i in TALLY_TRUSTEES:
            r = coins.bits(bits)
            ds = decryption_share(by_index[i], c, ctx.hash, r=r)
            verified.append(verify_decryption_share(ctx.key, c, ds, ctx.hash))
            shares.append({"r": hexint(r), "share": codec.to_wire(ds)})
        plain = combine(ctx.key, c, verified)
        plaintexts.append(plain)
        groups.append({"ciphertext": hexint(c), "shares": shares, "plaintext": hexint(plain)})
    counts = tl.unpack(ctx, enc.ballots, plaintexts)
    return {
        "about": about(
            "Tally (spec §8.7) under the key and manifest of ballot.json: ballots cast with "
            "the given codes, votes and coins seeds (drawn as in ballot.json); the "
            "encrypted tally; the packing layout (per group: question index, part index, "
            "counter offset); per packed ciphertext the decryption shares of trustees "
            "1, 3, 5 with their masks r and the combined plaintext; the unpacked counts.",
            coins=COINS_RULE,
            seeds=["tally/credential/<i>", "tally/ballot/<i>", "tally/decryption"],
            draw_order="decryption: r = bits(|n²| + |Δ| + 256) per group, per trustee",
        ),
        "ballots": entries,
        "encrypted_tally": codec.to_wire(enc),
        "layout": [
            [{"question": p.question, "part": p.part, "offset": p.offset} for p in group]
            for group in tl.layout(ctx)
        ],
        "trustees": list(TALLY_TRUSTEES),
        "groups": groups,
        "counts": codec.to_wire(counts),
    }


# --- result.json: counts and rules -> result (spec §8.8) ---------------------------

RESULT_ELECTION = hashlib.sha256(b"kiemphieu-vectors/v1/result").digest()


def _threshold(tid: str, where: tuple[str, str], rule: tuple[str, str, str]) -> rl.Threshold:
    """A flag ``tid`` on (question, slot) for (comparison, "num/den", denominator)."""
    num, den = map(int, rule[1].split("/"))
    return rl.Threshold(
        tid,
        where[0],
        where[1],
        rl.Comparison(rule[0]),
        rl.Fraction(num, den),
        rl.Denominator(rule[2]),
        rl.LocalizedLabel(tid, tid),
    )


def result_manifests() -> dict[str, Manifest]:
    """Two manifests with rules: QĐ 96 (four rows, the two exclusive tiers of
    `low` of returned, quorum 2/3 of 90 summoned) and a mixed one (percentages
    of valid ballots, a motion with a blank slot, a 0-to-2-of-4 election whose
    `chosen` of returned has two tiers at one value, at-least and more-than 1/2,
    flags of valid, issued and summoned, quorum 1/2 of 1000)."""
    levels = tuple(Choice(c, _text(c, c)) for c in ("high", "mid", "low"))
    rows = tuple(Choice(f"r{i}", _text(f"Người {i}", f"Person {i}")) for i in range(1, 5))
    qd96 = Manifest(
        election_id="result-qd96",
        title=_text("Tín nhiệm", "Confidence"),
        description=_text("Vector kết quả.", "Result vector."),
        questions=(
            Question(
                "leaders",
                QuestionKind.CONFIDENCE,
                _text("Lãnh đạo", "Leaders"),
                levels,
                rows,
                blank=True,
            ),
        ),
        rules=rl.Rules(
            summoned=90,
            quorum=rl.Fraction(2, 3),
            denominator=rl.Denominator.RETURNED,
            thresholds=(
                _threshold(
                    "low-more-than-half", ("leaders", "low"), ("more-than", "1/2", "returned")
                ),
                _threshold("low-two-thirds", ("leaders", "low"), ("at-least", "2/3", "returned")),
            ),
            revote=rl.Revote.LAST_COUNTS,
            trustees=5,
            threshold=3,
        ),
    )
    yes_no = tuple(Choice(c, _text(c, c)) for c in ("yes", "no"))
    people = tuple(Choice(f"c{i}", _text(f"Ứng viên {i}", f"Candidate {i}")) for i in range(1, 5))
    mixed = Manifest(
        election_id="result-mixed",
        title=_text("Hỗn hợp", "Mixed"),
        description=_text("Vector kết quả.", "Result vector."),
        questions=(
            Question(
                "motion", QuestionKind.SINGLE, _text("Nghị quyết", "Motion"), yes_no, blank=True
            ),
            Question(
                "board",
                QuestionKind.MULTIPLE,
                _text("Ban", "Board"),
                people,
                min_choices=0,
                max_choices=2,
            ),
        ),
        rules=rl.Rules(
            summoned=1000,
            quorum=rl.Fraction(1, 2),
            denominator=rl.Denominator.VALID,
            thresholds=(
                _threshold("passed", ("motion", "yes"), ("more-than", "1/2", "valid")),
                _threshold("elected", ("board", "chosen"), ("at-least", "1/2", "returned")),
                _threshold("over-half", ("board", "chosen"), ("more-than", "1/2", "returned")),
                _threshold("issued-third", ("board", "chosen"), ("at-least", "1/3", "issued")),
                _threshold("summoned-fifth", ("board", "chosen"), ("more-than", "1/5", "summoned")),
            ),
            revote=rl.Revote.REFUSE,
            trustees=3,
            threshold=2,
        ),
    )
    return {"qd96": qd96, "mixed": mixed}


RESULT_CASES: tuple[tuple[str, str, tuple[tuple[int, ...], ...], int, int | None], ...] = (
    # name, manifest, slots per part (in part order), issued, present
    (
        "qd96-typical",
        "qd96",
        ((20, 9, 31, 0), (10, 7, 40, 3), (60, 0, 0, 0), (0, 0, 0, 60)),
        88,
        None,
    ),
    # The tiers of QĐ 96 Điều 11 are exclusive: "trên 1/2 đến dưới 2/3" (2·low > D and
    # 3·low < 2·D) and "từ 2/3 trở lên" (3·low ≥ 2·D). Of 60: 30 (exactly half) is
    # neither; 31 (just above half) the lower; 40 (exactly two thirds) the upper only;
    # 39 (just below two thirds) the lower.
    (
        "qd96-boundaries",
        "qd96",
        ((30, 0, 30, 0), (29, 0, 31, 0), (20, 0, 40, 0), (21, 0, 39, 0)),
        60,
        None,
    ),
    # above two thirds of 60: 41 and 60 low, 59 low beside 1 blank (D is returned, 60),
    # all upper only; 59 blank and no low, no flag
    (
        "qd96-above-two-thirds",
        "qd96",
        ((19, 0, 41, 0), (0, 0, 60, 0), (0, 0, 59, 1), (1, 0, 0, 59)),
        60,
        None,
    ),
    # an odd D = 61, where 2/3·D is no integer: 30 is under half; 31 above
    # (62 > 61); 40 just below two thirds (120 < 122); 41 just at or above (123 ≥ 122)
    (
        "qd96-boundaries-odd",
        "qd96",
        ((31, 0, 30, 0), (30, 0, 31, 0), (21, 0, 40, 0), (20, 0, 41, 0)),
        61,
        None,
    ),
    # 59 of 90 summoned present: 3·59 < 2·90, the conference cannot proceed, so no
    # flag, though row 3 has 59 low of 59
    (
        "qd96-quorum-not-met",
        "qd96",
        ((59, 0, 0, 0), (0, 59, 0, 0), (0, 0, 59, 0), (0, 0, 0, 59)),
        90,
        None,
    ),
    # the same ballots with 60 present (one did not vote): 3·60 ≥ 2·90
    (
        "qd96-quorum-met-by-present",
        "qd96",
        ((59, 0, 0, 0), (0, 59, 0, 0), (0, 0, 59, 0), (0, 0, 0, 59)),
        90,
        60,
    ),
    # quorum exactly met, 60 of 90 (3·60 = 2·90): the flags stand
    (
        "qd96-quorum-exactly-met",
        "qd96",
        ((0, 0, 60, 0), (29, 0, 31, 0), (30, 0, 30, 0), (20, 20, 20, 0)),
        90,
        None,
    ),
    # quorum missed by one, 59 of 90: the same kind of rows (59 low, 31 low, 40 low of
    # 59) carry no flag, the percentages are still shown
    (
        "qd96-quorum-missed-by-one",
        "qd96",
        ((0, 0, 59, 0), (28, 0, 31, 0), (19, 0, 40, 0), (20, 20, 19, 0)),
        90,
        None,
    ),
    # 60 present, no ballot: the quorum is met, yet every percentage is 0.00 and no
    # flag is raised (D = 0 reaches no threshold, §8.8)
    ("qd96-no-ballots", "qd96", ((0, 0, 0, 0),) * 4, 90, 60),
    # valid = 803 − 3 = 800: 401/800 = 50.125 % → 50.13, 399/800 → 49.88, 3/800 → 0.38
    ("mixed-half-up", "mixed", ((401, 399, 3), (402,), (401,), (334,), (200,)), 1000, None),
    # 400/800 yes is not more than half of valid; 401/803 chosen is under half of returned;
    # 333/999 is exactly a third of issued; 201 is more than a fifth of 1000 summoned, 200 not
    ("mixed-boundaries", "mixed", ((400, 400, 3), (401,), (333,), (201,), (0,)), 999, 803),
    # two tiers at one value (chosen of 1000 returned): 500 is at least half, "elected"
    # only; 501 more than half, "over-half" only; 499 neither. "issued-third" and
    # "summoned-fifth" are other scales and stand beside them; 500/998 valid yes passes
    ("mixed-tiers", "mixed", ((500, 498, 2), (500,), (501,), (499,), (0,)), 1000, None),
)


def build_result(mat: Material) -> dict[str, Any]:
    del mat  # counts and rules only: no key
    manifests = result_manifests()
    cases = []
    for name, which, slots, issued, present in RESULT_CASES:
        manifest = manifests[which]
        ballots = sum(slots[0])  # the first part sums to N in both manifests
        parts = iter(slots)
        counts = tl.TallyCounts(
            RESULT_ELECTION,
            ballots,
            tuple(
                tl.QuestionCounts(q.id, tuple(tl.PartCounts(pid, next(parts)) for pid in q.parts))
                for q in manifest.questions
            ),
        )
        result = compute_result(manifest, counts, issued=issued, present=present)
        cases.append(
            {
                "name": name,
                "manifest": codec.to_wire(manifest),
                "counts": codec.to_wire(counts),
                "issued": issued,
                "present": present,
                "result": codec.to_wire(result),
            }
        )
    return {
        "about": about(
            "Results (spec §8.8): per case a manifest with rules, checked counts, the "
            "credentials issued and the voters present (null: the ballots counted) -> the "
            "result document: per part returned, valid, invalid, the percentage "
            "denominator, each slot's count and percentage (100·count/D rounded half up to "
            "two decimals) and the flags raised (decided on the integers), and the quorum. "
            "Thresholds of one scale (question, slot, denominator) are exclusive tiers: a "
            "part carries only the highest it reaches (QĐ 96-QĐ/TW Điều 11: more than 1/2 "
            "and less than 2/3 low, or 2/3 or more low); below the quorum no part carries "
            "a flag. Cases at exactly, just above and just below 1/2 and 2/3 (even and odd "
            "D), quorum exactly met and missed by one, no ballots, two tiers at one value, "
            "half-up rounding.",
        ),
        "cases": cases,
    }


# --- all files ----------------------------------------------------------------------------


# --- committee.json -------------------------------------------------------------------------


def build_committee(mat: Material) -> dict[str, Any]:
    """The signed objects of the committee and the registrar (spec §8.10, §8.12,
    §8.13) under the 512-bit key ceremony."""
    ctx = mat.election
    committee = ctx.ceremony.committee
    keys = [cr.derive_key(new_code(HashCoins(f"committee/credential/{i}")), ELECTION_ID,
                          ctx.registrar_key).public for i in range(4)]  # fmt: skip
    registrar_seed = seed_of(f"{mat.key.label}/registrar")
    signed = rl_.sign_roll(registrar_seed, ELECTION_ID, ctx.hash, keys)
    rl_.check_roll(signed, committee.registrar, ELECTION_ID, ctx.hash, keys)
    close = at.BoardClose(7, 4, board.roll_hash(keys), bytes(range(32)))
    attestation = at.attest(seed_of(f"{mat.key.label}/trustee-2/identity"), ctx.hash, 2, close)
    at.verify_attestation(attestation, committee.trustees[1], ctx.hash)
    return {
        "about": about(
            "The committee's signed objects under the key ceremony of threshold.json: "
            "each trustee card's message H(trustee/card, name, role, identity key, sealing "
            "key, N̂, s, t) and Π^prm binding; the registrar card's message; a roll of four "
            "credentials signed by the registrar (H_E, count, roll hash, message); a close "
            "attestation by trustee 2 (its message over the canonical bytes with a zero "
            "signature). Ed25519 signatures are deterministic.",
            seeds=["committee/credential/<i>", "test-512/registrar", "test-512/trustee-2/identity"],
        ),
        "election_id": ELECTION_ID,
        "base_hash": ctx.hash.hex(),
        "cards": [
            {
                "index": m.index,
                "message": cm.card_message(m).hex(),
                "pedersen_binding": [b.hex() for b in cm.pedersen_binding(m.identity_key)],
            }
            for m in committee.trustees
        ],
        "registrar": codec.to_wire(committee.registrar),
        "registrar_message": cm.registrar_message(committee.registrar).hex(),
        "roll": {
            "keys": sorted(k.hex() for k in keys),
            "roll_hash": board.roll_hash(keys).hex(),
            "signed_roll": codec.to_wire(signed),
            "message": rl_.roll_message(signed).hex(),
        },
        "attestation": {
            "document": codec.to_wire(attestation),
            "message": at.attestation_message(attestation).hex(),
        },
    }


BUILDERS: dict[str, Callable[[Material], dict[str, Any]]] = {
    "transcript.json": build_transcript,
    "paillier.json": build_paillier,
    "credential.json": build_credential,
    "membership.json": build_membership,
    "ballot.json": build_ballot,
    "committee.json": build_committee,
    "audit.json": build_audit,
    "threshold.json": lambda mat: build_threshold(
        mat.key, mat.election.hash, "H_E of ballot.json (the test election)"
    ),
    "threshold-1024.json": lambda mat: build_threshold(
        mat.large,
        hashlib.sha256(b"kiemphieu-vectors/v1/context/1024").digest(),
        "SHA-256('kiemphieu-vectors/v1/context/1024'), a stand-in for H_E",
    ),
    "keygen.json": build_keygen,
    "tally.json": build_tally,
    "result.json": build_result,
}


def render_all() -> dict[str, bytes]:
    """Every vector file, by name, as the exact bytes to commit."""
    mat = Material()
    return {name: render(build(mat)) for name, build in BUILDERS.items()}


def differences(files: Mapping[str, bytes], directory: Path) -> list[str]:
    """Names whose committed bytes differ from ``files``, and stray *.json files."""
    out = [name for name, data in files.items() if _read(directory / name) != data]
    out += sorted(p.name for p in directory.glob("*.json") if p.name not in files)
    return out


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    parser.add_argument("--out", type=Path, default=HERE, help="directory of the files")
    args = parser.parse_args(None if argv is None else list(argv))
    start = time.perf_counter()
    files = render_all()
    elapsed = time.perf_counter() - start
    if args.check:
        bad = differences(files, args.out)
        for name in bad:
            print(f"differs: {name}", file=sys.stderr)
        print(f"{len(files)} files checked in {elapsed:.1f} s: {len(bad)} differ")
        return 1 if bad else 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (args.out / name).write_bytes(data)
        print(f"{name}: {len(data)} bytes")
    print(f"{len(files)} files written in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
