"""JSON Schema generated from the codec types agrees with the codec (docs/spec.md §9)."""

from __future__ import annotations

import copy
import enum
import re
from collections.abc import Callable
from dataclasses import dataclass, make_dataclass
from typing import Annotated, Any

import jsonschema_rs
import pytest

from kiemphieu.crypto import codec
from kiemphieu.crypto.codec_schema import big_int_pattern, definitions, schema_document
from kiemphieu.crypto.election import ballot as bl
from kiemphieu.crypto.election.ballot import Ballot
from kiemphieu.crypto.election.board import Receipt, sign_receipt
from kiemphieu.crypto.election.ceremony import KeyCeremony
from kiemphieu.crypto.election.manifest import Manifest
from kiemphieu.crypto.election.tally import EncryptedTally, TallyCounts
from kiemphieu.crypto.errors import DecodeError
from kiemphieu.crypto.schema import BigInt, Bytes, Items, Keys, SmallInt, Text, document

Mutation = Callable[[dict[str, Any]], None]


def validator(cls: type) -> Any:
    return jsonschema_rs.validator_for(schema_document(cls))


def assert_both_refuse(cls: type, wire: dict[str, Any], mutate: Mutation) -> None:
    bad = copy.deepcopy(wire)
    mutate(bad)
    assert not validator(cls).is_valid(bad), mutate.__qualname__
    with pytest.raises(DecodeError):
        codec.from_wire(cls, bad)


def _set(path: str, value: Any) -> Mutation:
    """Set the value at ``a.b[2].c`` (the codec's path syntax)."""
    steps = [int(s) if s.isdigit() else s for s in re.findall(r"[^.\[\]]+", path)]

    def mutate(wire: dict[str, Any]) -> None:
        node: Any = wire
        for step in steps[:-1]:
            node = node[step]
        node[steps[-1]] = value

    mutate.__qualname__ = f"set {path} = {value!r:.40}"
    return mutate


def _drop(key: str) -> Mutation:
    def mutate(wire: dict[str, Any]) -> None:
        del wire[key]

    mutate.__qualname__ = f"drop {key}"
    return mutate


def _add(key: str) -> Mutation:
    return _set(key, 1)


# --- the public documents -----------------------------------------------------


@pytest.fixture(scope="module")
def documents(election, voter_key, key_ceremony, manifest) -> dict[type, object]:
    vote = {"leaders": (0, 1, 2, None, 0), "motion": 1, "board": frozenset({0, 2})}
    ballot = bl.encrypt_ballot(election, voter_key, vote)
    receipt = sign_receipt(bytes(range(32)), election.hash, bl.tracking_code(ballot), 7, bytes(32))
    return {
        Ballot: ballot,
        Manifest: manifest,
        KeyCeremony: key_ceremony,
        Receipt: receipt,
    }


@pytest.mark.parametrize("cls", [Ballot, Manifest, KeyCeremony, Receipt])
def test_valid_wire_form_validates(cls, documents):
    wire = codec.to_wire(documents[cls])
    errors = [str(e) for e in validator(cls).iter_errors(wire)]
    assert errors == []
    assert codec.from_wire(cls, wire) == documents[cls]


COMMON: list[Mutation] = [
    _add("extra"),
    _drop("version"),
    _drop("type"),
    _set("version", 99),
    _set("type", "other"),
]

REFUSALS: dict[type, list[Mutation]] = {
    Ballot: [
        _drop("signature"),
        _set("credential", "AB" * 32),
        _set("signature", "00" * 63),
        _set("answers", []),
        _set("answers[0].ciphertexts[0]", "0ff"),
        _set("answers[0].ciphertexts[0]", "1" * 2049),
        _set("answers[0].proofs[0].e[0]", "1" * 33),
        _set("answers[0].proofs[0].z", []),
        _set("answers[0].sum_proof", 0),
        _set("answers[0].question", "a\x00b"),
    ],
    Manifest: [
        _set("counter_bits", 7),
        _set("counter_bits", "24"),
        _set("title.vi", ""),
        _set("title", {"vi": "x"}),
        _set("description.en", "x" * 2001),
        _set("questions[0].kind", "ranked"),
        _set("questions[0].blank", 1),
        _set("questions[0].options[0].label.extra", "x"),
        _set("questions[1].max_choices", 61),
        _set("election_id", "tab\there"),
        _set("rules", []),
    ],
    KeyCeremony: [
        _set("key.t", 0),
        _set("key.n", "0x10"),
        _set("key.vks", []),
        _set("modulus_proof.a", [2] * 128),
        _set("modulus_proof.x", ["1"] * 127),
        _set("test_plaintext", "f" * 1025),
        _set("committee.trustees[0].signature", "00" * 63),
        _set("committee.registrar.version", 2),
        _set("factor_proofs", None),
        _set("factor_proofs[0].z1", "-1"),
        _set("generation", "trusted"),
        _set("transcript", []),
    ],
    Receipt: [
        _set("position", -1),
        _set("position", 1 << 48),
        _set("head", "0" * 62),
        _set("server_key", None),
    ],
}


@pytest.mark.parametrize("cls", [Ballot, Manifest, KeyCeremony, Receipt])
def test_invalid_wire_forms_refused_by_schema_and_codec(cls, documents):
    wire = codec.to_wire(documents[cls])
    for mutate in COMMON + REFUSALS[cls]:
        assert_both_refuse(cls, wire, mutate)


def test_every_document_type_has_a_schema():
    names = definitions([Ballot, Manifest, KeyCeremony, Receipt, EncryptedTally, TallyCounts])
    for name, schema in names.items():
        jsonschema_rs.meta.validate(schema)
        assert schema["additionalProperties"] is False
        assert schema["required"] == list(schema["properties"]), name
    assert {"Ballot", "EncryptedAnswer", "MembershipProof", "Rules", "Threshold"} <= set(names)


# --- every marker, on a synthetic type ------------------------------------------


class Colour(enum.Enum):
    RED = "red"
    GREEN = "green"


@dataclass(frozen=True, slots=True)
class Leaf:
    n: Annotated[int, SmallInt(-3, 3)]


@document("sample", 2)
@dataclass(frozen=True, slots=True)
class Sample:
    big: Annotated[int, BigInt(10)]
    raw: Annotated[bytes, Bytes(2)]
    note: Annotated[str, Text(0, 5, multiline=True)]
    names: Annotated[dict[str, str], Keys("vi", "en", required=("vi",)), Text(1, 3)]
    leaves: Annotated[tuple[Leaf, ...], Items(0, 2)]
    colour: Colour
    flag: bool
    maybe: Leaf | None
    small: Annotated[tuple[int, ...], Items(1, 2), BigInt(4)] | None


GOOD = {
    "type": "sample",
    "version": 2,
    "big": "3ff",
    "raw": "00ff",
    "note": "a\tb\n",
    "names": {"vi": "x"},
    "leaves": [{"n": -3}],
    "colour": "red",
    "flag": False,
    "maybe": None,
    "small": ["f", "0"],
}


def test_synthetic_type_round_trips_and_validates():
    assert validator(Sample).is_valid(GOOD)
    assert codec.to_wire(codec.from_wire(Sample, GOOD)) == GOOD


@pytest.mark.parametrize(
    "mutate",
    [
        _set("big", "400"),
        _set("big", "03ff"),
        _set("big", "FF"),
        _set("big", ""),
        _set("raw", "00f"),
        _set("note", "a\rb"),
        _set("note", "abcdef"),
        _set("names", {"en": "x"}),
        _set("names", {"vi": "x", "fr": "y"}),
        _set("names.vi", "long"),
        _set("leaves", [{"n": 1}] * 3),
        _set("leaves[0].n", 4),
        _set("leaves[0]", {}),
        _set("colour", "blue"),
        _set("flag", 0),
        _set("maybe", {"n": -4}),
        _set("small", []),
        _set("small", ["10"]),
    ],
)
def test_synthetic_refusals_agree(mutate):
    assert_both_refuse(Sample, GOOD, mutate)


def test_big_int_pattern_is_exact():
    for bits in range(1, 17):
        digits = (bits + 3) // 4
        pattern = re.compile(big_int_pattern(bits).removesuffix("$") + r"\Z")
        accepted = [
            n
            for n in range(1 << (bits + 2))
            if len(format(n, "x")) <= digits and pattern.match(format(n, "x"))
        ]
        assert accepted == list(range(1 << bits)), bits


def test_unsupported_types_are_refused():
    @dataclass(frozen=True)
    class NoMarker:
        n: int

    @dataclass(frozen=True)
    class Union2:
        n: Annotated[int, SmallInt(0, 1)] | str

    for cls in (NoMarker, Union2, int):
        with pytest.raises(TypeError):
            definitions([cls])

    other_leaf = make_dataclass("Leaf", [("n", Annotated[int, SmallInt(0, 1)])], frozen=True)
    both = make_dataclass("Both", [("a", other_leaf), ("b", Sample)], frozen=True)
    with pytest.raises(TypeError, match="named Leaf"):
        definitions([both])
