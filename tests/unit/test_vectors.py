"""Known-answer vectors in tests/vectors/ (made by tests/vectors/generate.py).

1. The committed files are exactly what the generator writes today, so any
   change to hashing, encoding or proofs that changes a byte is caught.
2. Read from the JSON alone, without the generator, every vector verifies with
   the production functions (typed objects through ``codec.from_wire``).
3. Changing any single public field of a proof-bearing vector makes its
   verification fail.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import hmac
import importlib.util
import json
import math
import re
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import nacl.signing
import pytest

from kiemphieu.crypto import SPEC_VERSION, codec
from kiemphieu.crypto.election import ballot as bl
from kiemphieu.crypto.election import credential as cr
from kiemphieu.crypto.election import tally as tl
from kiemphieu.crypto.election.ceremony import (
    Generation,
    KeyCeremony,
    ceremony_hash,
    check_test_decryption,
    derive_test_randomness,
    verify_key_ceremony,
)
from kiemphieu.crypto.election.context import ElectionContext, manifest_hash
from kiemphieu.crypto.election.manifest import Manifest, QuestionKind
from kiemphieu.crypto.election.result import compute_result
from kiemphieu.crypto.errors import InvalidSignature, VerificationError
from kiemphieu.crypto.keygen.envelope import Route, commitment, message_digest, session_hash
from kiemphieu.crypto.keygen.evidence import open_broadcast, reveal_broadcast
from kiemphieu.crypto.primitives.combination import (
    DecryptionShare,
    batch_verify_decryption_shares,
    combine,
    decryption_share,
    verify_decryption_share,
)
from kiemphieu.crypto.primitives.paillier import KeyPolicy, PublicKey
from kiemphieu.crypto.primitives.primes import is_safe_prime
from kiemphieu.crypto.primitives.proofs import membership as mb
from kiemphieu.crypto.primitives.proofs.modulus import ModulusProof, verify_modulus
from kiemphieu.crypto.primitives.threshold import (
    KeyShare,
    ThresholdPublicKey,
    ceremony_plaintext,
    check_share,
    check_verification_keys,
    deal,
)
from kiemphieu.crypto.primitives.transcript import (
    Tag,
    challenge,
    digest,
    encode_items,
    expand,
    hash_to_unit,
)

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
HEX_INT = re.compile(r"0|[1-9a-f][0-9a-f]*")
THRESHOLD_FILES = ("threshold.json", "threshold-1024.json")


class Mismatch(Exception):
    """A value recomputed from a vector differs from the value it records."""


def same(got: object, want: object, what: str) -> None:
    if got != want:
        raise Mismatch(f"{what}: recomputed {got!r:.80}, recorded {want!r:.80}")


@cache
def _load(name: str) -> dict[str, Any]:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


def doc(name: str) -> dict[str, Any]:
    """A fresh copy of a committed vector file."""
    return copy.deepcopy(_load(name))


def h(value: str) -> int:
    """A big integer from its canonical lowercase hex form."""
    if not isinstance(value, str) or HEX_INT.fullmatch(value) is None:
        raise ValueError(f"not canonical lowercase hex: {value!r:.40}")
    return int(value, 16)


# --- paths into JSON, and single-field tampering -----------------------------------

JsonPath = tuple[str | int, ...]


def get(data: Any, path: JsonPath) -> Any:
    for key in path:
        data = data[key]
    return data


def put(data: Any, path: JsonPath, value: Any) -> None:
    get(data, path[:-1])[path[-1]] = value


def leaves(data: Any, path: JsonPath = ()) -> Iterator[JsonPath]:
    """Every scalar leaf under ``data`` except the documents' type and version."""
    if isinstance(data, dict):
        for key in sorted(data):
            if key not in ("type", "version"):
                yield from leaves(data[key], (*path, key))
    elif isinstance(data, list):
        for i, item in enumerate(data):
            yield from leaves(item, (*path, i))
    elif data is not None:
        yield path


TEXT_FIELDS = {"question", "part", "name", "role"}
BIT_FIELDS = {"a", "b"}  # the modulus proof's bits


def mutate(value: Any, key: str) -> Any:
    """A well-formed but different value: flip a bit of a hex value, change
    a text, move an index, flip a bit field. Hex values change in bit 1, which
    keeps an odd modulus odd (an even one is refused by the decoder, not the verifier)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return 1 - value if key in BIT_FIELDS else value + 1
    if key in TEXT_FIELDS:
        return value + "x"
    if value == "":
        return "00"
    if re.fullmatch(r"[0-9a-f]+", value) is None:
        raise ValueError(f"cannot tamper with {value!r:.40}")
    return value[:-1] + format(int(value[-1], 16) ^ 2, "x")  # keeps n odd


def tampered(name: str, path: JsonPath) -> dict[str, Any]:
    data = doc(name)
    field = next(key for key in reversed(path) if isinstance(key, str))
    put(data, path, mutate(get(data, path), field))
    return data


def ids(paths: list[JsonPath]) -> list[str]:
    return [".".join(map(str, p)) for p in paths]


# --- 1. the committed files are the generator's output --------------------------------


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "kiemphieu_vector_generator", VECTORS / "generate.py"
    )
    if spec is None or spec.loader is None:
        raise ImportError("cannot load tests/vectors/generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    return _generator()


@pytest.fixture(scope="module")
def generated(generator: ModuleType) -> dict[str, bytes]:
    return generator.render_all()


COMMITTED = sorted(p.name for p in VECTORS.glob("*.json"))


def test_generator_makes_exactly_the_committed_files(generated):
    assert COMMITTED
    assert sorted(generated) == COMMITTED


@pytest.mark.parametrize("name", COMMITTED)
def test_committed_file_equals_generated(generated, name):
    assert (VECTORS / name).read_bytes() == generated[name], (
        f"{name} is stale: run `make vectors` and review the diff"
    )


def test_check_mode_reports_a_changed_file(generator, generated, tmp_path):
    for name, data in generated.items():
        (tmp_path / name).write_bytes(data)
    assert generator.differences(generated, tmp_path) == []
    first = COMMITTED[0]
    (tmp_path / first).write_bytes(generated[first].replace(b'"format": 1', b'"format": 2'))
    (tmp_path / "stray.json").write_text("{}\n")
    assert generator.differences(generated, tmp_path) == [first, "stray.json"]


def test_hash_coins_are_deterministic_coins(generator):
    a, b = generator.HashCoins("x"), generator.HashCoins("x")
    draws = [a.bits(7), a.bits(130), a.unit(15), a.below(10)]
    assert draws == [b.bits(7), b.bits(130), b.unit(15), b.below(10)]
    assert draws[0] < 2**7 and draws[1] < 2**130 and math.gcd(draws[2], 15) == 1
    assert generator.HashCoins("y").bits(256) != generator.HashCoins("x").bits(256)
    with pytest.raises(ValueError):
        a.bits(0)


def test_files_are_pretty_sorted_and_carry_provenance():
    for name in COMMITTED:
        raw = (VECTORS / name).read_text(encoding="utf-8")
        data = json.loads(raw)
        assert raw == json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        assert data["about"]["generator"] == "tests/vectors/generate.py"
        assert data["about"]["spec_version"] == SPEC_VERSION


# --- 2. transcript.json ---------------------------------------------------------------


def item(typed: dict[str, Any]) -> Any:
    ((kind, value),) = typed.items()
    if kind == "int":
        return -h(value[1:]) if value.startswith("-") else h(value)
    if kind == "bytes":
        return bytes.fromhex(value)
    if kind in ("text", "bool"):
        return value
    if kind == "list":
        return [item(x) for x in value]
    raise ValueError(f"unknown item kind {kind}")


def spec_item(x: Any) -> bytes:
    """item(x) written from docs/spec.md §2.1, apart from transcript.py."""
    if isinstance(x, int):
        body, kind = x.to_bytes(max(1, (x.bit_length() + 7) // 8), "big"), 1
    elif isinstance(x, bytes):
        body, kind = x, 2
    elif isinstance(x, str):
        body, kind = x.encode("utf-8"), 3
    else:
        body, kind = b"".join(spec_item(y) for y in x), 4
    return bytes([kind]) + len(body).to_bytes(4, "big") + body


TRANSCRIPT_CASES = _load("transcript.json")["cases"]


@pytest.mark.parametrize("case", TRANSCRIPT_CASES, ids=[c["tag"] for c in TRANSCRIPT_CASES])
def test_transcript(case):
    tag = Tag(case["tag"])
    items = [item(x) for x in case["items"]]
    encoding = bytes.fromhex(case["encoding"])
    assert encode_items(tag, items) == encoding
    assert spec_item(case["domain"]) + b"".join(spec_item(x) for x in items) == encoding
    assert digest(tag, *items).hex() == case["digest"] == hashlib.sha256(encoding).hexdigest()
    assert challenge(tag, *items) == h(case["challenge"]) == int(case["digest"][:32], 16)
    assert expand(tag, case["expand"]["bits"], *items) == h(case["expand"]["value"])
    unit = case["hash_to_unit"]
    modulus, attempt = h(unit["modulus"]), unit["attempt"]
    assert hash_to_unit(tag, modulus, *items) == h(unit["value"])
    bits = modulus.bit_length() + 128
    for k in range(attempt + 1):
        x = expand(tag, bits, *items, k) % modulus
        assert (x > 0 and math.gcd(x, modulus) == 1) == (k == attempt)
    assert x == h(unit["value"])


def test_every_tag_has_a_transcript_vector():
    assert {c["tag"] for c in TRANSCRIPT_CASES} == {t.value for t in Tag}


@pytest.mark.parametrize("refused", _load("transcript.json")["refused"])
def test_transcript_refuses(refused):
    with pytest.raises((ValueError, TypeError)):
        encode_items(Tag.BASE, [item(refused["item"])])


# --- 2. paillier.json ---------------------------------------------------------------


@cache
def factors(n: int) -> tuple[int, int]:
    """The test primes of n, from the threshold vector with the same modulus."""
    for name in THRESHOLD_FILES:
        primes = _load(name)["test_only_secret_primes"]
        p, q = h(primes["p"]), h(primes["q"])
        if p * q == n:
            return p, q
    raise LookupError("no threshold vector has this modulus")


def decrypt(n: int, c: int) -> int:
    """Textbook Paillier decryption with the published test primes."""
    p, q = factors(n)
    lam = math.lcm(p - 1, q - 1)
    n2 = n * n
    return (pow(c, lam, n2) - 1) // n * pow((pow(n + 1, lam, n2) - 1) // n, -1, n) % n


PAILLIER_KEYS = _load("paillier.json")["keys"]


@pytest.mark.parametrize("key", PAILLIER_KEYS, ids=[str(k["bits"]) for k in PAILLIER_KEYS])
def test_paillier(key):
    n = h(key["n"])
    pk, n2 = PublicKey(n), n * n
    assert n.bit_length() == key["bits"]
    cases = [{k: h(v) for k, v in case.items()} for case in key["cases"]]
    for case in cases:
        m, r, c = case["m"], case["r"], case["c"]
        assert pk.rn(r) == case["rn"] == pow(r, n, n2)
        assert pk.encrypt(m, r) == c == (1 + m * n) * pow(r, n, n2) % n2
        assert decrypt(n, c) == m
    for s in key["sums"]:
        i, j = s["of"]
        assert pk.add(cases[i]["c"], cases[j]["c"]) == h(s["c"])
        assert pk.encrypt(h(s["m"]), h(s["r"])) == h(s["c"])
        assert h(s["m"]) == (cases[i]["m"] + cases[j]["m"]) % n == decrypt(n, h(s["c"]))
    for s in key["scales"]:
        base = cases[s["of"]]
        assert pk.scale(base["c"], s["k"]) == h(s["c"]) == pk.encrypt(h(s["m"]), h(s["r"]))
        assert h(s["m"]) == base["m"] * s["k"] % n


# --- 2. credential.json -------------------------------------------------------------


def spec_hkdf(ikm: bytes, salt: bytes, info: bytes, length: int) -> bytes:
    """RFC 5869 written apart from credential.py."""
    prk = hmac.new(salt, ikm, "sha256").digest()
    blocks, block = b"", b""
    for counter in range(1, -(-length // 32) + 1):
        block = hmac.new(prk, block + info + bytes([counter]), "sha256").digest()
        blocks += block
    return blocks[:length]


def check_signature(entry: dict[str, Any]) -> None:
    cr.verify_signature(
        bytes.fromhex(entry["public"]),
        bytes.fromhex(entry["message"]),
        bytes.fromhex(entry["signature"]),
    )


CREDENTIALS = _load("credential.json")


@pytest.mark.parametrize("entry", CREDENTIALS["codes"], ids=lambda e: e["code"])
def test_credential_code_and_key(entry):
    data = cr.parse_code(entry["code"])
    assert data == entry["data"] and len(data) == 26
    assert cr.check_character(data) == entry["check"]
    assert cr.format_code(data) == entry["code"]
    registrar = bytes.fromhex(entry["registrar"])
    key = cr.derive_key(entry["code"], entry["election_id"], registrar)
    salt = CREDENTIALS["kdf_salt"].encode("ascii")
    info = entry["election_id"].encode() + b"\x00" + registrar  # spec §8.4, written out
    assert info.hex() == entry["info"]
    seed = spec_hkdf(data.encode("ascii"), salt, info, 32)
    assert key.seed.hex() == entry["seed"] == seed.hex()
    assert key.public.hex() == entry["public"]
    assert bytes(nacl.signing.SigningKey(seed).verify_key).hex() == entry["public"]
    assert key.sign(bytes.fromhex(entry["message"])).hex() == entry["signature"]
    check_signature(entry)


def test_credential_alphabet_and_salt():
    assert CREDENTIALS["alphabet"] == cr.ALPHABET == "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    assert CREDENTIALS["kdf_salt"] == "kiemphieu/v1/credential/key"


@pytest.mark.parametrize("example", CREDENTIALS["normalization"], ids=lambda e: e["what"])
def test_credential_normalization(example):
    data = cr.parse_code(example["input"])
    assert data == example["data"]
    assert cr.format_code(data) == example["code"]


REASONS = {
    "length": "characters, got",
    "alphabet": "not in the code alphabet",
    "check": "check character",
    "ascii": "only ASCII",
}


@pytest.mark.parametrize("example", CREDENTIALS["invalid"], ids=lambda e: e["what"])
def test_credential_invalid(example):
    with pytest.raises(cr.CredentialCodeError, match=REASONS[example["reason"]]):
        cr.parse_code(example["input"])


def test_credential_rfc_vectors():
    kdf = CREDENTIALS["hkdf_rfc5869"]
    args = [bytes.fromhex(kdf[k]) for k in ("ikm", "salt", "info")]
    assert cr.hkdf_sha256(*args, kdf["length"]).hex() == kdf["okm"]
    assert spec_hkdf(*args, kdf["length"]).hex() == kdf["okm"]
    ed = CREDENTIALS["ed25519_rfc8032"]
    signer = nacl.signing.SigningKey(bytes.fromhex(ed["seed"]))
    assert bytes(signer.verify_key).hex() == ed["public"]
    assert signer.sign(bytes.fromhex(ed["message"])).signature.hex() == ed["signature"]
    check_signature(ed)


SIGNATURE_TAMPERS = [
    (path, field)
    for path in [("codes", i) for i in range(len(CREDENTIALS["codes"]))] + [("ed25519_rfc8032",)]
    for field in ("public", "message", "signature")
]


@pytest.mark.parametrize(("entry", "field"), SIGNATURE_TAMPERS, ids=ids(SIGNATURE_TAMPERS))
def test_credential_signature_tampered(entry, field):
    data = tampered("credential.json", (*entry, field))
    with pytest.raises(InvalidSignature):
        check_signature(get(data, entry))


# --- 2. membership.json -------------------------------------------------------------


def statement(st: dict[str, Any]) -> mb.MembershipStatement:
    return mb.MembershipStatement(
        h(st["c"]),
        tuple(h(m) for m in st["allowed"]),
        bytes.fromhex(st["context"]),
        bytes.fromhex(st["credential"]),
        st["question"],
        st["part"],
    )


def check_membership(case: dict[str, Any]) -> None:
    proof = codec.from_wire(mb.MembershipProof, case["proof"])
    mb.verify(PublicKey(h(case["n"])), statement(case["statement"]), proof)


MEMBERSHIP_CASES = _load("membership.json")["cases"]


@pytest.mark.parametrize("case", MEMBERSHIP_CASES, ids=[c["name"] for c in MEMBERSHIP_CASES])
def test_membership(case):
    check_membership(case)
    pk, st = PublicKey(h(case["n"])), statement(case["statement"])
    proof = codec.from_wire(mb.MembershipProof, case["proof"])
    e = h(case["challenge"])
    assert mb.fiat_shamir(pk, st, proof.a) == e == sum(proof.e) % 2**128
    witness = case["witness"]
    index, r = witness["index"], h(witness["r"])
    assert pk.encrypt(st.allowed[index], r) == st.c
    nonces = mb.MembershipNonces(
        h(witness["w"]), tuple((h(s["e"]), h(s["z"])) for s in witness["simulated"])
    )
    assert mb.prove(pk, st, index, r, nonces=nonces) == proof
    prepared = mb.prepare(pk, st, proof)
    assert mb.check_batch(pk, [prepared])


MEMBERSHIP_TAMPERS = [
    (k, path)
    for k, case in enumerate(MEMBERSHIP_CASES)
    for path in [
        ("n",),
        *leaves(case["statement"], ("statement",)),
        *leaves(case["proof"], ("proof",)),
    ]
]


@pytest.mark.parametrize(
    ("k", "path"),
    MEMBERSHIP_TAMPERS,
    ids=[f"{k}:{'.'.join(map(str, p))}" for k, p in MEMBERSHIP_TAMPERS],
)
def test_membership_tampered(k, path):
    data = tampered("membership.json", ("cases", k, *path))
    with pytest.raises(VerificationError):
        check_membership(data["cases"][k])


# --- 2. ballot.json -----------------------------------------------------------------

BALLOT = _load("ballot.json")


@cache
def election() -> ElectionContext:
    manifest = codec.from_wire(Manifest, BALLOT["manifest"])
    ceremony = codec.from_wire(KeyCeremony, BALLOT["key_ceremony"])
    return ElectionContext(manifest, ceremony, KeyPolicy.TESTING)


def expected_plaintexts(ctx: ElectionContext, votes: dict[str, Any]) -> list[list[int]]:
    """The plaintext of every part, from the recorded votes and spec §8.1."""
    out = []
    for q in ctx.manifest.questions:
        vote, k, radix = votes[q.id], len(q.options), ctx.radix
        if q.kind is QuestionKind.CONFIDENCE:
            out.append([radix ** (k if level is None else level) for level in vote])
        elif q.kind is QuestionKind.SINGLE:
            out.append([radix ** (k if vote is None else vote)])
        else:
            out.append([int(i in vote) for i in range(k)])
    return out


def test_ballot_manifest_is_the_conftest_manifest(manifest):
    assert BALLOT["policy"] == KeyPolicy.TESTING.value
    assert codec.from_wire(Manifest, BALLOT["manifest"]) == manifest
    assert codec.dumps(manifest).decode("utf-8") == BALLOT["manifest_canonical"]
    assert manifest_hash(manifest).hex() == BALLOT["manifest_hash"]
    assert election().hash.hex() == BALLOT["base_hash"]


def test_ballot_key_matches_threshold_vector():
    key = election().key
    threshold = _load("threshold.json")
    assert codec.to_wire(key) == threshold["key"]
    assert BALLOT["key_ceremony"] == threshold["key_ceremony"]
    check_verification_keys(key, election_id=election().election_id)
    assert ceremony_hash(election().ceremony).hex() == BALLOT["key_ceremony_hash"]
    assert BALLOT["key_ceremony_hash"] == threshold["key_ceremony_hash"]


def test_ballot_verifies():
    ctx = election()
    ballot = codec.from_wire(bl.Ballot, BALLOT["ballot"])
    verified = bl.verify_ballot(ctx, ballot)
    assert verified.tracking_code.hex() == BALLOT["tracking_code"]
    assert bl.signing_message(ballot).hex() == BALLOT["signing_message"]
    (batched,) = bl.verify_ballots(ctx, [ballot])
    assert isinstance(batched, bl.VerifiedBallot)
    key = cr.derive_key(BALLOT["code"], ctx.election_id, ctx.registrar_key)
    assert key.public == ballot.credential == bytes.fromhex(BALLOT["credential"])
    assert codec.loads(bl.Ballot, json.dumps(BALLOT["ballot"])) == ballot
    n = ctx.key.n
    got = [[decrypt(n, c) for c in ans.ciphertexts] for ans in ballot.answers]
    assert got == expected_plaintexts(ctx, BALLOT["votes"])


def check_ballot(wire: dict[str, Any], *, resign: bool) -> None:
    ballot = codec.from_wire(bl.Ballot, wire)
    if resign:
        key = cr.derive_key(BALLOT["code"], election().election_id, election().registrar_key)
        unsigned = dataclasses.replace(ballot, credential=key.public, signature=bl.ZERO_SIGNATURE)
        ballot = dataclasses.replace(unsigned, signature=key.sign(bl.signing_message(unsigned)))
    bl.verify_ballot(election(), ballot)


def test_ballot_resigning_alone_keeps_it_valid():
    check_ballot(BALLOT["ballot"], resign=True)


BALLOT_TAMPERS = list(leaves(BALLOT["ballot"]))


@pytest.mark.parametrize("path", BALLOT_TAMPERS, ids=ids(BALLOT_TAMPERS))
def test_ballot_tampered(path):
    """Re-signed after the change (so the proofs are what fails), except for the
    signature and credential fields themselves."""
    wire = tampered("ballot.json", ("ballot", *path))["ballot"]
    with pytest.raises(VerificationError):
        check_ballot(wire, resign=path[0] not in ("signature", "credential"))


# --- 2. threshold.json, threshold-1024.json -------------------------------------------


def public_key(data: dict[str, Any]) -> ThresholdPublicKey:
    return codec.from_wire(ThresholdPublicKey, data["key"])


def check_key(data: dict[str, Any]) -> None:
    pk = public_key(data)
    check_verification_keys(pk, election_id=data["election_id"])
    verify_modulus(pk.n, codec.from_wire(ModulusProof, data["modulus_proof"]), data["election_id"])


def check_decryption_shares(data: dict[str, Any]) -> list[Any]:
    pk, c, context = public_key(data), h(data["test_ciphertext"]), bytes.fromhex(data["context"])
    return [
        verify_decryption_share(pk, c, codec.from_wire(DecryptionShare, d["share"]), context)
        for d in data["decryption_shares"]
    ]


@pytest.mark.parametrize("name", THRESHOLD_FILES)
def test_threshold_dealing(name):
    data = doc(name)
    pk = public_key(data)
    primes = data["test_only_secret_primes"]
    p, q = h(primes["p"]), h(primes["q"])
    assert is_safe_prime(p) and is_safe_prime(q) and p != q
    assert p * q == pk.n and pk.n.bit_length() == data["bits"]
    assert h(data["delta"]) == math.factorial(pk.l)
    check_key(data)
    for s in data["shares"]:
        check_share(KeyShare(s["index"], h(s["s"]), pk))
    ceremony = codec.from_wire(KeyCeremony, data["key_ceremony"])
    verify_key_ceremony(ceremony, KeyPolicy.TESTING)
    assert ceremony.key == pk
    assert ceremony_hash(ceremony).hex() == data["key_ceremony_hash"]
    again = deal(
        data["election_id"],
        data["bits"],
        pk.t,
        pk.l,
        KeyPolicy.TESTING,
        verifiers=[m.pedersen for m in ceremony.committee.trustees],
        primes=(p, q),
        coefficients=[h(a) for a in data["coefficients"]],
        test_r=h(data["test_r"]),
        factor_coins=[[h(x) for x in coins] for coins in data["factor_coins"]],
    )
    assert again.public == pk
    assert again.factor_proofs == ceremony.factor_proofs
    assert [(s.index, s.s) for s in again.shares] == [
        (s["index"], h(s["s"])) for s in data["shares"]
    ]
    assert codec.to_wire(again.modulus_proof) == data["modulus_proof"]
    assert again.test_ciphertext == h(data["test_ciphertext"])


@pytest.mark.parametrize("name", THRESHOLD_FILES)
def test_threshold_test_decryption(name):
    data = doc(name)
    pk, c = public_key(data), h(data["test_ciphertext"])
    x = h(data["test_plaintext"])
    assert x == ceremony_plaintext(data["election_id"], pk.n)
    assert pk.public_key.encrypt(x, h(data["test_r"])) == c
    verified = check_decryption_shares(data)
    context = bytes.fromhex(data["context"])
    posted = [(c, v.share) for v in verified]
    assert len(batch_verify_decryption_shares(pk, posted, context)) == pk.l
    shares = {s["index"]: KeyShare(s["index"], h(s["s"]), pk) for s in data["shares"]}
    for d, v in zip(data["decryption_shares"], verified, strict=True):
        assert decryption_share(shares[v.index], c, context, r=h(d["r"])) == v.share
    by_index = {v.index: v for v in verified}
    assert len(data["combinations"]) == 2
    for combo in data["combinations"]:
        assert len(combo["trustees"]) == pk.t
        chosen = [by_index[i] for i in combo["trustees"]]
        assert combine(pk, c, chosen) == h(combo["plaintext"]) == x


def _threshold_tampers(name: str) -> list[tuple[str, JsonPath]]:
    data = _load(name)
    last = len(data["modulus_proof"]["x"]) - 1
    paths: list[JsonPath] = [("key", "n"), ("key", "v")]
    paths += [("key", "vks", i) for i in range(len(data["key"]["vks"]))]
    paths += [("modulus_proof", "w")]
    paths += [("modulus_proof", f, i) for f in ("x", "a", "b", "z") for i in (0, last)]
    paths += [("test_ciphertext",)]
    for k, d in enumerate(data["decryption_shares"]):
        paths += [("decryption_shares", k, "share", *p) for p in leaves(d["share"])]
    return [(name, p) for p in paths]


THRESHOLD_TAMPERS = [t for name in THRESHOLD_FILES for t in _threshold_tampers(name)]


@pytest.mark.parametrize(
    ("name", "path"),
    THRESHOLD_TAMPERS,
    ids=[f"{n}:{'.'.join(map(str, p))}" for n, p in THRESHOLD_TAMPERS],
)
def test_threshold_tampered(name, path):
    data = tampered(name, path)
    check = check_key if path[0] in ("key", "modulus_proof") else check_decryption_shares
    with pytest.raises(VerificationError):
        check(data)


# --- 2. tally.json ------------------------------------------------------------------

TALLY = _load("tally.json")


@cache
def tally_ballots() -> tuple[bl.VerifiedBallot, ...]:
    ctx = election()
    ballots = [codec.from_wire(bl.Ballot, b["ballot"]) for b in TALLY["ballots"]]
    verified = bl.verify_ballots(ctx, ballots)
    for outcome in verified:
        if not isinstance(outcome, bl.VerifiedBallot):
            raise outcome
    return tuple(v for v in verified if isinstance(v, bl.VerifiedBallot))


def recount(ctx: ElectionContext, cast: list[dict[str, Any]]) -> list[list[list[int]]]:
    """Counts per question, part and slot, straight from the recorded votes."""
    questions = ctx.manifest.questions
    out = [[[0] * q.slots for _ in q.parts] for q in questions]
    for votes in cast:
        for q, parts in zip(questions, out, strict=True):
            vote, blank = votes[q.id], len(q.options)
            if q.kind is QuestionKind.CONFIDENCE:
                for row, level in enumerate(vote):
                    parts[row][blank if level is None else level] += 1
            elif q.kind is QuestionKind.SINGLE:
                parts[0][blank if vote is None else vote] += 1
            else:
                for i in vote:
                    parts[i][0] += 1
    return out


def check_tally(data: dict[str, Any]) -> None:
    """The observer's steps 6-8 (spec §11) from the verified ballots to the counts."""
    ctx = election()
    enc = tl.accumulate(ctx, tally_ballots())
    same(codec.to_wire(enc), data["encrypted_tally"], "encrypted tally")
    layout = [
        [{"question": p.question, "part": p.part, "offset": p.offset} for p in g]
        for g in tl.layout(ctx)
    ]
    same(layout, data["layout"], "layout")
    packed = tl.pack(ctx, enc)
    same([format(c, "x") for c in packed], [g["ciphertext"] for g in data["groups"]], "packed")
    plaintexts = []
    for group in data["groups"]:
        c = h(group["ciphertext"])
        posted = [(c, codec.from_wire(DecryptionShare, s["share"])) for s in group["shares"]]
        verified = [verify_decryption_share(ctx.key, c, s, ctx.hash) for _, s in posted]
        same([s.index for _, s in posted], data["trustees"], "trustees")
        plaintext = combine(ctx.key, c, verified)
        same(plaintext, h(group["plaintext"]), "combined plaintext")
        plaintexts.append(plaintext)
    counts = tl.unpack(ctx, enc.ballots, plaintexts)
    same(codec.to_wire(counts), data["counts"], "counts")


def test_tally():
    check_tally(doc("tally.json"))
    ctx = election()
    ballots = tally_ballots()
    for entry, vb in zip(TALLY["ballots"], ballots, strict=True):
        assert (
            cr.derive_key(entry["code"], ctx.election_id, ctx.registrar_key).public
            == vb.ballot.credential
        )
        got = [[decrypt(ctx.key.n, c) for c in ans.ciphertexts] for ans in vb.ballot.answers]
        assert got == expected_plaintexts(ctx, entry["votes"])
    counts = codec.from_wire(tl.TallyCounts, TALLY["counts"])
    assert counts.ballots == len(TALLY["ballots"])
    got = [[list(part.slots) for part in qc.parts] for qc in counts.questions]
    assert got == recount(ctx, [entry["votes"] for entry in TALLY["ballots"]])


def test_tally_batch_share_verification():
    ctx = election()
    posted = [
        (h(g["ciphertext"]), codec.from_wire(DecryptionShare, s["share"]))
        for g in TALLY["groups"]
        for s in g["shares"]
    ]
    assert len(batch_verify_decryption_shares(ctx.key, posted, ctx.hash)) == len(posted)


def _tally_tampers() -> list[JsonPath]:
    paths: list[JsonPath] = []
    for g, group in enumerate(TALLY["groups"]):
        paths += [("groups", g, "ciphertext"), ("groups", g, "plaintext")]
        for k, s in enumerate(group["shares"]):
            paths += [("groups", g, "shares", k, "share", *p) for p in leaves(s["share"])]
    for qi, q in enumerate(TALLY["encrypted_tally"]["questions"]):
        paths.append(("encrypted_tally", "questions", qi, "ciphertexts", len(q["ciphertexts"]) - 1))
    paths.append(("encrypted_tally", "ballots"))
    paths.append(("counts", "questions", 0, "parts", 2, "slots", 0))
    return paths


TALLY_TAMPERS = _tally_tampers()


@pytest.mark.parametrize("path", TALLY_TAMPERS, ids=ids(TALLY_TAMPERS))
def test_tally_tampered(path):
    with pytest.raises((VerificationError, Mismatch)):
        check_tally(tampered("tally.json", path))


# --- result.json ---------------------------------------------------------------------

RESULT = _load("result.json")


def check_result_case(case: dict[str, Any]) -> None:
    manifest = codec.from_wire(Manifest, case["manifest"])
    counts = codec.from_wire(tl.TallyCounts, case["counts"])
    got = compute_result(manifest, counts, issued=case["issued"], present=case["present"])
    same(codec.to_wire(got), case["result"], case["name"])


@pytest.mark.parametrize("case", RESULT["cases"], ids=[c["name"] for c in RESULT["cases"]])
def test_result(case):
    check_result_case(case)


def _flags_of(name: str) -> list[list[str]]:
    case = next(c for c in RESULT["cases"] if c["name"] == name)
    return [p["flags"] for q in case["result"]["questions"] for p in q["parts"]]


HALF, TWO_THIRDS = "low-more-than-half", "low-two-thirds"


@pytest.mark.parametrize(
    ("name", "flags"),
    [
        # 30/60 exactly half: neither; 31/60 just above; 40/60 exactly two thirds: the
        # upper tier only; 39/60 just below two thirds
        ("qd96-boundaries", [[], [HALF], [TWO_THIRDS], [HALF]]),
        # 41/60, 60/60, 59/60 beside a blank: upper only; no low: none
        ("qd96-above-two-thirds", [[TWO_THIRDS], [TWO_THIRDS], [TWO_THIRDS], []]),
        # D = 61: 30 under half, 31 above, 40 just below 2/3 (120 < 122), 41 above
        ("qd96-boundaries-odd", [[], [HALF], [HALF], [TWO_THIRDS]]),
        # quorum 60 of 90 exactly met: the flags stand; missed by one (59): none at all
        ("qd96-quorum-exactly-met", [[TWO_THIRDS], [HALF], [], []]),
        ("qd96-quorum-missed-by-one", [[], [], [], []]),
        ("qd96-quorum-not-met", [[], [], [], []]),
        ("qd96-quorum-met-by-present", [[], [], [TWO_THIRDS], []]),
        # quorum met but no ballot (D = 0): none
        ("qd96-no-ballots", [[], [], [], []]),
        # at-least 1/2 and more-than 1/2 of one scale: 500/1000 the first, 501 the second
        (
            "mixed-tiers",
            [
                ["passed"],
                ["elected", "issued-third", "summoned-fifth"],
                ["over-half", "issued-third", "summoned-fifth"],
                ["issued-third", "summoned-fifth"],
                [],
            ],
        ),
    ],
)
def test_result_cases_cover_the_boundaries(name, flags):
    assert _flags_of(name) == flags


def test_result_quorum_and_rounding_cases():
    by_name = {c["name"]: c["result"] for c in RESULT["cases"]}
    for name in ("qd96-quorum-not-met", "qd96-quorum-missed-by-one"):
        assert by_name[name]["quorum_met"] is False
        assert by_name[name]["returned"] == 59  # counts and percentages still shown
        first = by_name[name]["questions"][0]["parts"][0]
        assert "100.00" in [s["percent"] for s in first["slots"]]
    for name in ("qd96-quorum-met-by-present", "qd96-quorum-exactly-met", "qd96-no-ballots"):
        assert by_name[name]["quorum_met"] is True
    motion = by_name["mixed-half-up"]["questions"][0]["parts"][0]
    assert [s["percent"] for s in motion["slots"]] == ["50.13", "49.88", "0.38"]


@pytest.mark.parametrize("case", RESULT["cases"], ids=[c["name"] for c in RESULT["cases"]])
def test_result_flags_are_exclusive_tiers(case):
    """Every vector: at most one flag per scale (question, slot, denominator), none
    below the quorum (spec §8.8, QĐ 96-QĐ/TW Điều 11)."""
    rules = codec.from_wire(Manifest, case["manifest"]).rules
    assert rules is not None
    scale = {t.id: t.scale for t in rules.thresholds}
    for q in case["result"]["questions"]:
        for part in q["parts"]:
            scales = [scale[f] for f in part["flags"]]
            assert len(set(scales)) == len(scales), (case["name"], part["part"])
            if not case["result"]["quorum_met"]:
                assert part["flags"] == [], (case["name"], part["part"])


def test_result_of_the_old_rule_fails():
    """A result with both tiers (the rule before issue 16), or flags below the
    quorum, is not the result of its counts."""
    both = copy.deepcopy(next(c for c in RESULT["cases"] if c["name"] == "qd96-boundaries"))
    both["result"]["questions"][0]["parts"][2]["flags"] = [HALF, TWO_THIRDS]  # 40 of 60
    with pytest.raises(Mismatch):
        check_result_case(both)
    flagged = copy.deepcopy(next(c for c in RESULT["cases"] if c["name"] == "qd96-quorum-not-met"))
    flagged["result"]["questions"][0]["parts"][2]["flags"] = [HALF, TWO_THIRDS]  # 59 of 59
    with pytest.raises(Mismatch):
        check_result_case(flagged)


def _result_tampers() -> list[JsonPath]:
    paths: list[JsonPath] = []
    for k in range(len(RESULT["cases"])):
        part = ("cases", k, "result", "questions", 0, "parts", 0)
        paths += [(*part, "slots", 0, "percent"), (*part, "valid"), ("cases", k, "issued")]
        paths.append(("cases", k, "counts", "questions", 0, "parts", 0, "slots", 0))
    return paths


RESULT_TAMPERS = _result_tampers()


@pytest.mark.parametrize("path", RESULT_TAMPERS, ids=ids(RESULT_TAMPERS))
def test_result_tampered(path):
    data = doc("result.json")
    value = get(data, path)
    put(data, path, value + 1 if isinstance(value, int) else "99.99")
    with pytest.raises(Mismatch):
        check_result_case(get(data, path[:2]))


def test_result_flag_and_quorum_tampered():
    for case in RESULT["cases"]:
        flipped = copy.deepcopy(case)
        flipped["result"]["quorum_met"] = not case["result"]["quorum_met"]
        with pytest.raises(Mismatch):
            check_result_case(flipped)
        dropped = copy.deepcopy(case)
        flags = dropped["result"]["questions"][0]["parts"][0]["flags"]
        if flags:
            flags.pop()
        else:
            flags.append("low-two-thirds")
        with pytest.raises(Mismatch):
            check_result_case(dropped)


# --- 2. keygen.json: a key the committee generated -------------------------------------

KEYGEN = _load("keygen.json")


def test_keygen_ceremony_verifies_from_its_json():
    data = doc("keygen.json")
    ceremony = codec.from_wire(KeyCeremony, data["key_ceremony"])
    assert ceremony.generation is Generation.COMMITTEE
    assert ceremony.modulus_proof is None and ceremony.factor_proofs == ()
    assert ceremony.committee == codec.from_wire(KeyCeremony, BALLOT["key_ceremony"]).committee
    verified = verify_key_ceremony(ceremony, KeyPolicy.TESTING)
    assert ceremony_hash(ceremony).hex() == data["key_ceremony_hash"]
    ctx = ElectionContext(codec.from_wire(Manifest, data["manifest"]), ceremony, KeyPolicy.TESTING)
    assert ctx.hash.hex() == data["base_hash"]
    pk, c = ceremony.key, ceremony.test_ciphertext
    assert h(data["test_randomness"]) == derive_test_randomness(data["election_id"], pk.n)
    assert pk.public_key.encrypt(ceremony.test_plaintext, h(data["test_randomness"])) == c
    assert (h(data["test_plaintext"]), h(data["test_ciphertext"])) == (ceremony.test_plaintext, c)
    posted = [codec.from_wire(DecryptionShare, d["share"]) for d in data["decryption_shares"]]
    by_index = {v.index: v for v in check_test_decryption(verified, posted, ctx.hash)}
    for combo in data["combinations"]:
        chosen = [by_index[i] for i in combo["trustees"]]
        assert combine(pk, c, chosen) == h(combo["plaintext"]) == ceremony.test_plaintext
    for s, d in zip(data["test_only_key_shares"], data["decryption_shares"], strict=True):
        share = check_share(KeyShare(s["index"], h(s["s"]), pk))
        assert decryption_share(share, c, ctx.hash, r=h(d["r"])) == by_index[s["index"]].share


def test_keygen_signed_bytes_and_digests():
    ceremony = codec.from_wire(KeyCeremony, KEYGEN["key_ceremony"])
    transcript = ceremony.transcript
    assert transcript is not None
    bits = KEYGEN["bits"]
    session = session_hash(
        ceremony.election_id,
        transcript.run,
        bits=bits,
        t=ceremony.key.t,
        l=ceremony.key.l,
        batch=KEYGEN["batch"],
        identity_keys=[m.identity_key for m in ceremony.committee.trustees],
    )
    assert session.hex() == KEYGEN["session"]
    for entry, want in zip(transcript.entries, KEYGEN["entries"], strict=True):
        j, prefix = entry.index, f"a{transcript.attempt}"
        opening = reveal_broadcast(entry.salt, entry.biprimality, bits)
        assert len(opening) == 32 + 64 * ((bits + 7) // 8)
        opened = open_broadcast(entry.y, entry.commitments, bits)
        assert len(opened) == (3 * bits + 1280 + 7) // 8 + len(entry.commitments) * (2 * bits // 8)
        hashes = {x.recipient: x.sha256 for x in entry.letters}
        assert [want["commit"]["label"], want["reveal"]["label"]] == [
            f"{prefix}/commit",
            f"{prefix}/reveal",
        ]
        assert want["reveal"]["broadcast"] == opening.hex()
        assert want["open"]["broadcast"] == opened.hex()
        assert (
            commitment(session, f"{prefix}/commit", j, opening).hex() == want["commit"]["broadcast"]
        )
        for kind, broadcast, letters in (
            ("commit", entry.commitment, {}),
            ("reveal", opening, {}),
            ("open", opened, hashes),
        ):
            route = Route(session, want[kind]["label"], j)
            assert message_digest(route, broadcast, letters).hex() == want[kind]["digest"]


def _keygen_tampers() -> list[JsonPath]:
    entry = KEYGEN["key_ceremony"]["transcript"]["entries"][0]
    t = len(entry["commitments"])
    fields: list[JsonPath] = [
        ("commitment",),
        ("commit_signature",),
        ("salt",),
        ("biprimality", 0),
        ("biprimality", 63),
        ("reveal_signature",),
        ("y",),
        ("commitments", 0),
        ("commitments", t - 1),
        ("letters", 0, "recipient"),
        ("letters", 0, "sha256"),
        ("open_signature",),
    ]
    paths: list[JsonPath] = [
        ("transcript", "entries", k, *f)
        for k in range(len(KEYGEN["key_ceremony"]["transcript"]["entries"]))
        for f in fields
    ]
    paths += [("transcript", f) for f in ("run", "batch", "attempt")]
    paths += [("key", "n"), ("key", "vks", 0), ("key", "vks", 4), ("test_ciphertext",)]
    return [("key_ceremony", *p) for p in paths]


KEYGEN_TAMPERS = _keygen_tampers()


@pytest.mark.parametrize("path", KEYGEN_TAMPERS, ids=ids(KEYGEN_TAMPERS))
def test_keygen_tampered(path):
    wire = tampered("keygen.json", path)["key_ceremony"]
    with pytest.raises(VerificationError):
        verify_key_ceremony(codec.from_wire(KeyCeremony, wire), KeyPolicy.TESTING)


# --- 3. the key ceremony's committee and proofs (threshold.json, committee.json) -------


CEREMONY_TAMPERS = [
    ("committee", "trustees", 0, "name"),
    ("committee", "trustees", 1, "role"),
    ("committee", "trustees", 2, "signature"),
    ("committee", "trustees", 3, "pedersen", "s"),
    ("committee", "trustees", 3, "pedersen", "proof", "e"),
    ("committee", "trustees", 4, "pedersen", "proof", "z", 127),
    ("committee", "registrar", "name"),
    *[
        ("factor_proofs", 1, f)
        for f in ("P", "Q", "A", "B", "T", "sigma", "z1", "z2", "w1", "w2", "v")
    ],
]


@pytest.mark.parametrize("path", CEREMONY_TAMPERS, ids=ids(CEREMONY_TAMPERS))
def test_key_ceremony_tampered(path):
    wire = tampered("threshold.json", ("key_ceremony", *path))["key_ceremony"]
    with pytest.raises(VerificationError):
        verify_key_ceremony(codec.from_wire(KeyCeremony, wire), KeyPolicy.TESTING)


def test_factor_proofs_replay_from_their_coins():
    from kiemphieu.crypto.primitives.proofs.factor import prove_factors

    data = doc("threshold.json")
    ceremony = codec.from_wire(KeyCeremony, data["key_ceremony"])
    primes = data["test_only_secret_primes"]
    for member, proof, coins in zip(
        ceremony.committee.trustees, ceremony.factor_proofs, data["factor_coins"], strict=True
    ):
        again = prove_factors(
            h(primes["p"]),
            h(primes["q"]),
            member.pedersen,
            [data["election_id"], member.index],
            coins=[h(x) for x in coins],
        )
        assert again == proof


COMMITTEE = _load("committee.json")


def test_committee_vector():
    from kiemphieu.crypto.election import attestation as at
    from kiemphieu.crypto.election import committee as cm
    from kiemphieu.crypto.election import roll as rl

    ctx = election()
    committee = ctx.ceremony.committee
    assert COMMITTEE["base_hash"] == ctx.hash.hex()
    for card, member in zip(COMMITTEE["cards"], committee.trustees, strict=True):
        assert card["index"] == member.index
        assert cm.card_message(member).hex() == card["message"]
    registrar = codec.from_wire(cm.Registrar, COMMITTEE["registrar"])
    assert registrar == committee.registrar
    assert cm.registrar_message(registrar).hex() == COMMITTEE["registrar_message"]
    roll = COMMITTEE["roll"]
    signed = codec.from_wire(rl.SignedRoll, roll["signed_roll"])
    keys = [bytes.fromhex(k) for k in roll["keys"]]
    rl.check_roll(signed, registrar, COMMITTEE["election_id"], ctx.hash, keys)
    assert signed.election == ctx.hash
    assert rl.roll_message(signed).hex() == roll["message"]
    with pytest.raises(rl.RollMismatch):
        rl.check_roll(signed, registrar, COMMITTEE["election_id"], ctx.hash, keys[:3])
    with pytest.raises(rl.RollMismatch, match="another key ceremony"):
        rl.check_roll(signed, registrar, COMMITTEE["election_id"], bytes(32), keys)
    doc_ = codec.from_wire(at.CloseAttestation, COMMITTEE["attestation"]["document"])
    at.verify_attestation(doc_, committee.trustees[1], ctx.hash)
    assert at.attestation_message(doc_).hex() == COMMITTEE["attestation"]["message"]
    with pytest.raises(at.AttestationError):
        at.verify_attestation(doc_, committee.trustees[0], ctx.hash)
