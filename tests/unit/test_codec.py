"""Strict wire codec: known bytes, every refusal with its path (docs/spec.md §9)."""

from __future__ import annotations

import copy
import enum
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

import pytest

from kiemphieu.crypto import codec
from kiemphieu.crypto.canonical_json import canonical_bytes, parse_object
from kiemphieu.crypto.errors import DecodeError, ParameterError
from kiemphieu.crypto.schema import BigInt, Bytes, Items, Keys, SmallInt, Text, document


class Colour(enum.Enum):
    RED = "red"
    GREEN = "green"


@dataclass(frozen=True, slots=True)
class Proof:
    z: Annotated[tuple[int, ...], Items(1, 3), BigInt(16)]
    tag: Annotated[bytes, Bytes(2)]


@document("inner", 2)
@dataclass(frozen=True, slots=True)
class Inner:
    n: Annotated[int, SmallInt(0, 9)]


@dataclass(frozen=True, slots=True)
class Key:
    public: Annotated[int, BigInt(16)]
    share: Annotated[int, BigInt(16)] = field(repr=False)


@dataclass(frozen=True, slots=True)
class Vault:
    owner: Annotated[str, Text(1, 10)]
    key: Key = field(repr=False)


@dataclass(frozen=True, slots=True)
class Positive:
    k: Annotated[int, SmallInt(-5, 5)]

    def __post_init__(self) -> None:
        if self.k <= 0:
            raise ParameterError(f"k must be positive, got {self.k}")


@document("sample", 1)
@dataclass(frozen=True, slots=True)
class Sample:
    index: Annotated[int, SmallInt(1, 255)]
    ci: Annotated[int, BigInt(16)]
    proofs: Annotated[tuple[Proof, ...], Items(0, 3)]
    labels: Annotated[tuple[str, ...], Items(0, 2), Text(1, 8)]
    title: Annotated[dict[str, str], Keys("vi", "en", required=("vi",)), Text(1, 20)]
    colour: Colour
    flag: bool
    inner: Inner
    grid: Annotated[tuple[tuple[int, ...], ...], Items(0, 2), Items(0, 2), SmallInt(0, 3)]
    note: Annotated[str | None, Text(0, 20, multiline=True)] = None
    hidden: Annotated[int, BigInt(16)] = field(default=0, repr=False)


SAMPLE = Sample(
    index=7,
    ci=0xBEEF,
    proofs=(Proof((0, 1, 0xFFFF), b"\x00\xab"), Proof((0x10,), b"\xff\x01")),
    labels=("một", "b"),
    title={"vi": "Bầu cử", "en": "Election"},
    colour=Colour.GREEN,
    flag=True,
    inner=Inner(3),
    grid=((0, 3), ()),
    note="dòng 1\ndòng\t2",
    hidden=0x1234,
)

SAMPLE_BYTES = (
    '{"ci":"beef","colour":"green","flag":true,"grid":[[0,3],[]],"hidden":"1234",'
    '"index":7,"inner":{"n":3,"type":"inner","version":2},"labels":["một","b"],'
    '"note":"dòng 1\\ndòng\\t2","proofs":[{"tag":"00ab","z":["0","1","ffff"]},'
    '{"tag":"ff01","z":["10"]}],"title":{"en":"Election","vi":"Bầu cử"},'
    '"type":"sample","version":1}'
).encode()


def wire() -> dict[str, Any]:
    return copy.deepcopy(codec.to_wire(SAMPLE))


def refused(data: object, cls: type = Sample) -> DecodeError:
    with pytest.raises(DecodeError) as info:
        codec.from_wire(cls, data)
    return info.value


def refused_raw(raw: bytes | str, **kwargs: Any) -> DecodeError:
    with pytest.raises(DecodeError) as info:
        codec.loads(Sample, raw, **kwargs)
    return info.value


# --- known answer and round trip ------------------------------------------------


def test_dumps_known_bytes() -> None:
    assert codec.dumps(SAMPLE) == SAMPLE_BYTES


def test_loads_known_bytes() -> None:
    assert codec.loads(Sample, SAMPLE_BYTES) == SAMPLE
    assert codec.loads(Sample, SAMPLE_BYTES.decode()) == SAMPLE


def test_key_order_and_whitespace_do_not_change_the_object() -> None:
    data = wire()
    shuffled = json.dumps(dict(reversed(list(data.items()))), indent=2, ensure_ascii=True)
    assert codec.dumps(codec.loads(Sample, shuffled)) == SAMPLE_BYTES


def test_optional_null_round_trips_and_is_written() -> None:
    blank = Sample(1, 0, (), (), {"vi": "x"}, Colour.RED, False, Inner(0), ())
    data = codec.to_wire(blank)
    assert data["note"] is None
    assert data["hidden"] == "0"
    assert data["title"] == {"vi": "x"}
    assert codec.from_wire(Sample, data) == blank


def test_gmpy2_integers_encode_like_ints() -> None:
    gmpy2 = pytest.importorskip("gmpy2")
    assert codec.dumps(Key(gmpy2.mpz(0xABC), gmpy2.mpz(0))) == codec.dumps(Key(0xABC, 0))


def test_from_wire_path_prefix() -> None:
    with pytest.raises(DecodeError) as info:
        codec.from_wire(Proof, {"z": [], "tag": "0000"}, path="answers[2].proof")
    assert info.value.path == "answers[2].proof.z"
    assert "0 items" in info.value.message


# --- object shape ------------------------------------------------------------------


def edit(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    data = wire()
    change(data)
    return data


SHAPE_CASES: list[tuple[str, Callable[[dict[str, Any]], None], str, str]] = [
    ("unknown key", lambda d: d.update(extra=1), "<root>", "unknown key 'extra'"),
    ("nested unknown", lambda d: d["proofs"][1].update(w=1), "proofs[1]", "unknown key 'w'"),
    ("missing key", lambda d: d.pop("flag"), "flag", "required key missing"),
    ("nested missing", lambda d: d["proofs"][0].pop("z"), "proofs[0].z", "missing"),
    ("optional absent", lambda d: d.pop("note"), "note", "required key missing"),
    ("object as list", lambda d: d.update(inner=[]), "inner", "expected a JSON object"),
    ("list as object", lambda d: d.update(proofs={}), "proofs", "expected a JSON array"),
    ("string for int", lambda d: d.update(index="7"), "index", "expected a JSON integer"),
    ("bool for int", lambda d: d.update(index=True), "index", "got true"),
    ("int for bool", lambda d: d.update(flag=1), "flag", "expected true or false"),
    ("null for bool", lambda d: d.update(flag=None), "flag", "got null"),
    ("int too small", lambda d: d.update(index=0), "index", "not in [1, 255]"),
    ("int too big", lambda d: d.update(index=256), "index", "not in [1, 255]"),
    ("enum value", lambda d: d.update(colour="blue"), "colour", "not one of"),
    ("enum type", lambda d: d.update(colour=1), "colour", "expected a JSON string"),
    ("too many items", lambda d: d.update(labels=["a", "b", "c"]), "labels", "3 items"),
    ("too few items", lambda d: d["proofs"][0].update(z=[]), "proofs[0].z", "0 items"),
    ("nested list item", lambda d: d["grid"][0].__setitem__(1, 4), "grid[0][1]", "not in"),
    ("inner too many", lambda d: d["grid"].__setitem__(1, [0, 0, 0]), "grid[1]", "3 items"),
    ("map unknown key", lambda d: d["title"].update(fr="x"), "title", "unknown key 'fr'"),
    ("map missing key", lambda d: d["title"].pop("vi"), "title", "missing key 'vi'"),
    ("map value", lambda d: d["title"].update(en=""), "title.en", "0 characters"),
    ("nested doc type", lambda d: d["inner"].update(type="x"), "inner.type", "'inner'"),
    ("nested doc version", lambda d: d["inner"].update(version=1), "inner.version", "2"),
    ("nested doc untyped", lambda d: d["inner"].pop("type"), "inner.type", "missing"),
]


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [case[1:] for case in SHAPE_CASES],
    ids=[case[0] for case in SHAPE_CASES],
)
def test_shape_refused(change: Callable[[dict[str, Any]], None], path: str, message: str) -> None:
    err = refused(edit(change))
    assert err.path == path
    assert message in err.message


def test_top_level_not_an_object() -> None:
    assert refused([]).path == "<root>"
    assert refused(None).path == "<root>"


# --- documents ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("type", "ballot", "expected document type 'sample'"),
        ("type", None, "expected document type 'sample'"),
        ("version", 2, "unsupported version 2 of 'sample'; this codec reads version 1"),
        ("version", 0, "this codec reads version 1"),
        ("version", "1", "this codec reads version 1"),
        ("version", True, "this codec reads version 1"),
    ],
)
def test_document_type_and_version(key: str, value: object, message: str) -> None:
    err = refused(edit(lambda d: d.update({key: value})))
    assert err.path == key
    assert message in err.message


def test_wrong_version_is_reported_before_unknown_keys() -> None:
    err = refused(edit(lambda d: d.update(version=2, new_field=1)))
    assert err.path == "version"


def test_document_without_type_key() -> None:
    err = refused(edit(lambda d: d.pop("type")))
    assert (err.path, err.message) == ("type", "required key missing")


# --- big integers and bytes ---------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("BEEF", "not lowercase hex"),
        ("Beef", "not lowercase hex"),
        ("0xbeef", "not lowercase hex"),
        ("", "empty string"),
        ("0beef", "leading zero"),
        ("00", "leading zero"),
        ("-1", "not lowercase hex"),
        (" 1", "not lowercase hex"),
        ("xyz", "not lowercase hex"),
        ("10000", "more than 16 bits"),
        ("1" + "0" * 400, "more than 16 bits"),
        (48879, "expected a lowercase hex string, got a JSON integer"),
        (None, "got null"),
    ],
)
def test_big_integer_refused(value: object, message: str) -> None:
    err = refused(edit(lambda d: d.update(ci=value)))
    assert err.path == "ci"
    assert message in err.message


def test_big_integer_in_nested_list() -> None:
    err = refused(edit(lambda d: d["proofs"][1]["z"].__setitem__(0, "FF")))
    assert err.path == "proofs[1].z[0]"


def test_big_integer_limits_accepted() -> None:
    assert codec.from_wire(Key, {"public": "ffff", "share": "0"}) == Key(0xFFFF, 0)


@dataclass(frozen=True, slots=True)
class TenBits:
    x: Annotated[int, BigInt(10)]


def test_big_integer_bit_limit_not_a_multiple_of_four() -> None:
    assert codec.from_wire(TenBits, {"x": "3ff"}) == TenBits(0x3FF)
    err = refused({"x": "400"}, TenBits)
    assert (err.path, err.message) == ("x", "more than 10 bits")
    with pytest.raises(ValueError, match=r"^x: "):
        codec.to_wire(TenBits(0x400))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("00a", "expected 4 hex digits, got 3"),
        ("00abcd", "expected 4 hex digits, got 6"),
        ("00AB", "not lowercase hex"),
        ("zz00", "not lowercase hex"),
        (1234, "expected a lowercase hex string"),
    ],
)
def test_bytes_refused(value: object, message: str) -> None:
    err = refused(edit(lambda d: d["proofs"][0].update(tag=value)))
    assert err.path == "proofs[0].tag"
    assert message in err.message


# --- text ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("labels", "e\u0301", "not in Unicode NFC"),
        ("labels", "a\x07", "U+0007 at position 1"),
        ("labels", "a\nb", "U+000A"),
        ("labels", "a\x85", "U+0085"),
        ("labels", "\ud800", "lone surrogate"),
        ("labels", "", "0 characters, expected 1 to 8"),
        ("labels", "123456789", "9 characters, expected 1 to 8"),
        ("labels", 5, "expected a JSON string"),
        ("note", "a\rb", "U+000D"),
        ("note", "a\x00b", "U+0000"),
        ("note", "Hoa\u0300", "not in Unicode NFC"),
    ],
)
def test_text_refused(path: str, value: object, message: str) -> None:
    if path == "labels":
        data = edit(lambda d: d["labels"].__setitem__(1, value))
        expected = "labels[1]"
    else:
        data = edit(lambda d: d.update(note=value))
        expected = "note"
    err = refused(data)
    assert err.path == expected
    assert message in err.message


def test_multiline_text_accepts_newline_and_tab() -> None:
    data = edit(lambda d: d.update(note="a\nb\tc"))
    assert codec.from_wire(Sample, data).note == "a\nb\tc"


# --- what messages show ----------------------------------------------------------


def test_long_values_are_cut() -> None:
    err = refused(edit(lambda d: d.update(ci="F" * 1000)))
    assert err.path == "ci"
    assert repr("F" * 40) + "…" in err.message
    assert "F" * 41 not in str(err)
    err = refused(edit(lambda d: d.update(colour="x" * 1000)))
    assert err.path == "colour"
    assert "x" * 40 in err.message
    assert "x" * 41 not in str(err)


def test_secret_fields_are_never_echoed() -> None:
    err = refused({"public": "1", "share": "0deadbee"}, Key)
    assert err.path == "share"
    assert "deadbee" not in str(err)
    err = refused({"owner": "me", "key": {"public": "1", "share": "CAFE"}}, Vault)
    assert err.path == "key.share"
    assert "CAFE" not in str(err)
    err = refused({"owner": "me", "key": {"public": "BEEF", "share": "1"}}, Vault)
    assert err.path == "key.public"
    assert "BEEF" not in str(err)


def test_public_fields_are_shown() -> None:
    err = refused({"public": "0deadbee", "share": "1"}, Key)
    assert "'0deadbee'" in err.message


def test_post_init_refusal_becomes_decode_error() -> None:
    err = refused({"k": -1}, Positive)
    assert err.path == "<root>"
    assert err.message == "k must be positive, got -1"
    assert codec.from_wire(Positive, {"k": 2}) == Positive(2)


# --- strict JSON -----------------------------------------------------------------


def body(value: str) -> bytes:
    """SAMPLE_BYTES with ``"ci":"beef"`` replaced by ``value``."""
    return SAMPLE_BYTES.replace(b'"ci":"beef"', value.encode())


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (body('"ci":1.0'), "fraction or exponent"),
        (body('"ci":1e3'), "fraction or exponent"),
        (body('"ci":NaN'), "NaN is not JSON"),
        (body('"ci":Infinity'), "Infinity is not JSON"),
        (body('"ci":-Infinity'), "-Infinity is not JSON"),
        (body('"ci":"beef","ci":"beef"'), "duplicate key 'ci'"),
        (SAMPLE_BYTES.replace(b'"n":3', b'"n":3,"n":3'), "duplicate key 'n'"),
        (body('"ci":-0'), "-0"),
        (body('"ci":' + "1" * 41), "integer literal longer than 40"),
        (b"[1]", "top level must be a JSON object"),
        (b'"x"', "top level must be a JSON object"),
        (SAMPLE_BYTES + b"x", "not JSON"),
        (b"\xef\xbb\xbf" + SAMPLE_BYTES, "not JSON"),
        (body('"ci":"\xff"').replace(b"\xc3\xbf", b"\xff"), "invalid UTF-8"),
        (b"", "not JSON"),
    ],
)
def test_strict_json_refused(raw: bytes, message: str) -> None:
    err = refused_raw(raw)
    assert err.path == "<root>"
    assert message in err.message


def test_oversize_refused_before_parsing() -> None:
    err = refused_raw(b"{" * 100, max_bytes=99)
    assert err.message == "input of more than 99 bytes refused"
    assert codec.loads(Sample, SAMPLE_BYTES, max_bytes=len(SAMPLE_BYTES)) == SAMPLE
    err = refused_raw(SAMPLE_BYTES, max_bytes=len(SAMPLE_BYTES) - 1)
    assert "more than" in err.message
    # A str is measured in UTF-8 bytes, not characters.
    text = SAMPLE_BYTES.decode()
    assert len(text) < len(SAMPLE_BYTES)
    assert "more than" in refused_raw(text, max_bytes=len(text)).message


@pytest.mark.parametrize("depth", [33, 40, 100_000])
def test_deep_nesting_refused(depth: int) -> None:
    raw = '{"a":' * (depth - 1) + "{}" + "}" * (depth - 1)
    err = refused_raw(raw, max_bytes=10 << 20)
    assert (err.path, err.message) == ("<root>", "nesting deeper than 32")


def test_depth_32_is_parsed() -> None:
    value: list[Any] = []
    for _ in range(30):
        value = [value]
    assert parse_object('{"a":' + "[" * 31 + "]" * 31 + "}") == {"a": value}
    with pytest.raises(DecodeError, match="nesting deeper than 32"):
        parse_object('{"a":' + "[" * 32 + "]" * 32 + "}")


def test_canonical_bytes_refuses_floats_and_odd_keys() -> None:
    with pytest.raises(ValueError, match="float"):
        canonical_bytes({"a": 1.5})
    with pytest.raises(ValueError, match="keys"):
        canonical_bytes({1: 2})
    assert canonical_bytes({"b": [1, None], "a": "é"}) == '{"a":"é","b":[1,null]}'.encode()


# --- encoding refuses what decoding would refuse -------------------------------


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"ci": 1 << 16}, "ci"),
        ({"ci": -1}, "ci"),
        ({"ci": True}, "ci"),
        ({"index": 0}, "index"),
        ({"labels": ("e\u0301",)}, "labels[0]"),
        ({"labels": ("a", "b", "c")}, "labels"),
        ({"title": {"en": "x"}}, "title"),
        ({"note": "a\rb"}, "note"),
        ({"flag": 1}, "flag"),
        ({"colour": "red"}, "colour"),
        ({"proofs": (Proof((1,), b"\x00"),)}, "proofs[0].tag"),
        ({"inner": Proof((1,), b"\x00\x00")}, "inner"),
    ],
)
def test_encoding_refuses_invalid_values(changes: dict[str, Any], path: str) -> None:
    values = {name: getattr(SAMPLE, name) for name in Sample.__dataclass_fields__}
    values.update(changes)
    with pytest.raises(ValueError) as info:
        codec.to_wire(Sample(**values))
    assert str(info.value).startswith(f"{path}: ")


# --- schema mistakes are programming errors ------------------------------------


@dataclass(frozen=True, slots=True)
class BareInt:
    x: int


@dataclass(frozen=True, slots=True)
class BareList:
    x: Annotated[list[int], Items(0, 1), SmallInt(0, 1)]


@dataclass(frozen=True, slots=True)
class ExtraMarker:
    x: Annotated[bool, Text()]


@dataclass(frozen=True, slots=True)
class TupleNoItems:
    x: Annotated[tuple[int, ...], SmallInt(0, 1)]


@dataclass(slots=True)
class Mutable:
    x: bool


@document("clash", 1)
@dataclass(frozen=True, slots=True)
class Clash:
    version: Annotated[int, SmallInt(0, 1)]


class Numbers(enum.Enum):
    ONE = 1


@dataclass(frozen=True, slots=True)
class IntEnumField:
    x: Numbers


@pytest.mark.parametrize(
    ("cls", "message"),
    [
        (BareInt, "BareInt.x: int needs a BigInt or SmallInt marker"),
        (BareList, "BareList.x: unsupported type"),
        (ExtraMarker, "ExtraMarker.x: markers"),
        (TupleNoItems, "TupleNoItems.x: tuple[int, ...] needs a Items marker"),
        (Mutable, "frozen"),
        (Clash, "reserved in a document"),
        (IntEnumField, "string values"),
        (int, "not a dataclass"),
    ],
)
def test_schema_mistakes(cls: type, message: str) -> None:
    with pytest.raises(TypeError, match=message.replace("[", r"\[")):
        codec.check_schema(cls)


def test_check_schema_reaches_nested_classes() -> None:
    @dataclass(frozen=True, slots=True)
    class Outer:
        inner: BareInt

    with pytest.raises(TypeError, match=r"BareInt\.x"):
        codec.check_schema(Outer)
    codec.check_schema(Sample)


def test_marker_arguments_checked() -> None:
    with pytest.raises(ValueError, match="required"):
        Keys("vi", required=("en",))
    with pytest.raises(ValueError, match="distinct"):
        Keys("vi", "vi")
    with pytest.raises(ValueError, match="lo <= hi"):
        SmallInt(2, 1)
    with pytest.raises(ValueError, match="max_bits"):
        BigInt(0)


# --- speed ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BenchProof:
    a: Annotated[tuple[int, ...], Items(1, 8), BigInt(8192)]
    e: Annotated[tuple[int, ...], Items(1, 8), BigInt(128)]
    z: Annotated[tuple[int, ...], Items(1, 8), BigInt(8192)]


@dataclass(frozen=True, slots=True)
class BenchAnswer:
    question: Annotated[str, Text(1, 48)]
    ciphertexts: Annotated[tuple[int, ...], Items(1, 60), BigInt(8192)]
    proofs: Annotated[tuple[BenchProof, ...], Items(1, 60)]


@document("bench-ballot", 1)
@dataclass(frozen=True, slots=True)
class BenchBallot:
    election: Annotated[bytes, Bytes(32)]
    answers: Annotated[tuple[BenchAnswer, ...], Items(1, 60)]
    signature: Annotated[bytes, Bytes(64)]


def bench_ballot() -> BenchBallot:
    """Five questions, two choices each: 5·(2 + 2·(3+3+3)) = 100 big integers."""
    big = (1 << 6143) | 12345
    proof = BenchProof((big, big - 1, big - 2), (1 << 127, 5, 6), (big >> 3, 7, 8))
    answer = BenchAnswer("q", (big, big + 2), (proof, proof))
    return BenchBallot(b"\x01" * 32, (answer,) * 5, b"\x02" * 64)


def test_ballot_decoding_speed() -> None:
    ballot = bench_ballot()
    raw = codec.dumps(ballot)
    assert codec.loads(BenchBallot, raw) == ballot
    rounds = 50
    start = time.perf_counter()
    for _ in range(rounds):
        codec.loads(BenchBallot, raw)
    per_second = rounds / (time.perf_counter() - start)
    assert per_second > 100, f"{per_second:.0f} ballots/s"
