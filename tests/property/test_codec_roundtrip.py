"""Codec round trips and refusals over generated values (docs/spec.md §9)."""

from __future__ import annotations

import enum
import json
import unicodedata
from dataclasses import dataclass, field
from typing import Annotated, Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kiemphieu.crypto import codec
from kiemphieu.crypto.errors import DecodeError
from kiemphieu.crypto.schema import BigInt, Bytes, Items, Keys, SmallInt, Text, document


class Mood(enum.Enum):
    YES = "yes"
    NO = "no"
    ABSTAIN = "abstain"


@dataclass(frozen=True, slots=True)
class Branch:
    a: Annotated[tuple[int, ...], Items(1, 4), BigInt(256)]
    tag: Annotated[bytes, Bytes(4)]
    mood: Mood


@document("record", 3)
@dataclass(frozen=True, slots=True)
class Record:
    index: Annotated[int, SmallInt(-3, 300)]
    value: Annotated[int, BigInt(512)]
    branches: Annotated[tuple[Branch, ...], Items(0, 3)]
    names: Annotated[tuple[str, ...], Items(0, 3), Text(1, 12)]
    title: Annotated[dict[str, str], Keys("vi", "en", required=("vi",)), Text(0, 30)]
    counts: Annotated[tuple[tuple[int, ...], ...], Items(0, 2), Items(0, 3), SmallInt(0, 9)]
    ok: bool
    note: Annotated[str | None, Text(0, 40, multiline=True)]
    hidden: Annotated[int | None, BigInt(64)] = field(default=None, repr=False)


def texts(lo: int, hi: int, multiline: bool = False) -> st.SearchStrategy[str]:
    """NFC text without control characters (bar \\n and \\t when multiline)."""
    chars = st.characters(blacklist_categories=("Cc", "Cs"))
    if multiline:
        chars = chars | st.sampled_from("\n\t")
    return (
        st.text(chars, max_size=hi)
        .map(lambda s: unicodedata.normalize("NFC", s))
        .filter(lambda s: lo <= len(s) <= hi)
    )


def bigints(bits: int) -> st.SearchStrategy[int]:
    return st.integers(0, (1 << bits) - 1) | st.sampled_from([0, 1, (1 << bits) - 1])


branches = st.builds(
    Branch,
    a=st.lists(bigints(256), min_size=1, max_size=4).map(tuple),
    tag=st.binary(min_size=4, max_size=4),
    mood=st.sampled_from(Mood),
)

records = st.builds(
    Record,
    index=st.integers(-3, 300),
    value=bigints(512),
    branches=st.lists(branches, max_size=3).map(tuple),
    names=st.lists(texts(1, 12), max_size=3).map(tuple),
    title=st.fixed_dictionaries({"vi": texts(0, 30)}, optional={"en": texts(0, 30)}),
    counts=st.lists(st.lists(st.integers(0, 9), max_size=3).map(tuple), max_size=2).map(tuple),
    ok=st.booleans(),
    note=st.none() | texts(0, 40, multiline=True),
    hidden=st.none() | bigints(64),
)


@given(records)
def test_wire_round_trip(record: Record) -> None:
    assert codec.from_wire(Record, codec.to_wire(record)) == record


@given(records)
def test_bytes_round_trip_and_canonical(record: Record) -> None:
    raw = codec.dumps(record)
    assert codec.dumps(record) == raw
    back = codec.loads(Record, raw)
    assert back == record
    assert codec.dumps(back) == raw

    # Keys sorted at every level, no insignificant whitespace.
    def sorted_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        assert [k for k, _ in pairs] == sorted(k for k, _ in pairs)
        return dict(pairs)

    parsed = json.loads(raw, object_pairs_hook=sorted_pairs)
    compact = json.dumps(parsed, separators=(",", ":"), ensure_ascii=False)
    assert len(raw) == len(compact.encode())


@given(records, st.randoms(use_true_random=False))
def test_key_order_and_spacing_do_not_matter(record: Record, rng: Any) -> None:
    def shuffle(value: Any) -> Any:
        if isinstance(value, dict):
            items = list(value.items())
            rng.shuffle(items)
            return {k: shuffle(v) for k, v in items}
        if isinstance(value, list):
            return [shuffle(v) for v in value]
        return value

    text = json.dumps(shuffle(codec.to_wire(record)), indent=1, ensure_ascii=rng.random() < 0.5)
    assert codec.dumps(codec.loads(Record, text)) == codec.dumps(record)


def paths(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Every (path, leaf) of a wire value, in the codec's path notation."""
    if isinstance(value, dict):
        out = []
        for key, item in value.items():
            out += paths(item, f"{prefix}.{key}" if prefix else key)
        return out
    if isinstance(value, list):
        out = []
        for i, item in enumerate(value):
            out += paths(item, f"{prefix}[{i}]")
        return out
    return [(prefix, value)]


def set_leaf(data: Any, path: str, new: Any) -> None:
    parts: list[str | int] = []
    for chunk in path.replace("[", ".[").split("."):
        parts.append(int(chunk[1:-1]) if chunk.startswith("[") else chunk)
    target = data
    for part in parts[:-1]:
        target = target[part]
    target[parts[-1]] = new


@given(records, st.data())
def test_hex_leaf_made_uppercase_or_padded_is_refused_at_its_path(
    record: Record, data: st.DataObject
) -> None:
    wire = codec.to_wire(record)
    hex_leaves = [
        (p, v)
        for p, v in paths(wire)
        if isinstance(v, str) and p.split(".")[-1].split("[")[0] in ("value", "a", "hidden")
    ]
    path, leaf = data.draw(st.sampled_from(hex_leaves))
    bad = data.draw(st.sampled_from(["0" + leaf, leaf.upper() + "A", "0x" + leaf, ""]))
    set_leaf(wire, path, bad)
    try:
        codec.from_wire(Record, wire)
    except DecodeError as err:
        assert err.path == path
    else:
        raise AssertionError(f"{path}: {bad!r} accepted")


@given(records, st.data())
def test_any_leaf_given_the_wrong_json_type_is_refused_at_its_path(
    record: Record, data: st.DataObject
) -> None:
    wire = codec.to_wire(record)
    path, leaf = data.draw(st.sampled_from(paths(wire)))
    bad = data.draw(st.sampled_from([1.5, [leaf], {"x": leaf}]))
    set_leaf(wire, path, bad)
    try:
        codec.from_wire(Record, wire)
    except DecodeError as err:
        assert err.path == path
    else:
        raise AssertionError(f"{path}: {bad!r} accepted")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text("0aF\n é", max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("ab"), inner),
    max_leaves=8,
)


@settings(max_examples=300)
@given(records, st.data())
def test_any_subtree_replaced_by_arbitrary_json_decodes_or_raises_decode_error(
    record: Record, data: st.DataObject
) -> None:
    wire = codec.to_wire(record)
    path, _ = data.draw(st.sampled_from(paths(wire)))
    set_leaf(wire, path, data.draw(json_values))
    try:
        codec.from_wire(Record, wire)
    except DecodeError as err:
        assert err.path.startswith(path)


@settings(max_examples=300)
@given(st.binary(max_size=200) | records.map(codec.dumps).map(lambda b: b[: len(b) // 2]))
def test_arbitrary_bytes_only_raise_decode_error(raw: bytes) -> None:
    try:
        codec.loads(Record, raw)
    except DecodeError as err:
        assert err.path
