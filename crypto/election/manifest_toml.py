"""Manifests written by people: TOML in, a checked :class:`Manifest` out (docs/manifest.md).

The TOML mirrors the manifest's wire form (docs/spec.md §8.1, §9) with three
conveniences: choices are written ``{id = "...", vi = "...", en = "..."}``,
fractions as ``"2/3"``, and a confidence question may say ``levels`` for its
options and gets ``blank = true`` by default. Every error names the field
(``questions[0].rows[2].vi``) the way the TOML file spells it.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from typing import Any

from .. import codec
from ..errors import DecodeError
from ..schema import document_info
from .manifest import Manifest

_FRACTION = re.compile(r"^\s*(\d{1,4})\s*/\s*(\d{1,4})\s*$")
MAX_TOML_BYTES = 256 * 1024


def _choice(value: Any, path: str) -> Any:
    if not isinstance(value, dict):
        return value  # the codec reports the wrong type at this path
    extra = set(value) - {"id", "vi", "en"}
    if extra:
        raise DecodeError(f"{path}.{sorted(extra)[0]}", "unknown key (a choice has id, vi, en)")
    return {
        "id": value.get("id"),
        "label": {k: value[k] for k in ("vi", "en") if k in value},
    }


def _fraction(value: Any, path: str) -> Any:
    if isinstance(value, str):
        m = _FRACTION.match(value)
        if not m:
            raise DecodeError(path, 'write a fraction as "num/den", e.g. "2/3"')
        return {"num": int(m.group(1)), "den": int(m.group(2))}
    return value


def _question(q: Any, path: str) -> Any:
    if not isinstance(q, dict):
        return q
    q = dict(q)
    if "levels" in q:
        if "options" in q:
            raise DecodeError(f"{path}.levels", "give levels or options, not both")
        q["options"] = q.pop("levels")
    confidence = q.get("kind") == "confidence"
    q.setdefault("blank", confidence)
    q.setdefault("rows", [])
    q.setdefault("min_choices", 0)
    q.setdefault("max_choices", 0)
    for key in ("options", "rows"):
        if isinstance(q.get(key), list):
            q[key] = [_choice(c, f"{path}.{key}[{i}]") for i, c in enumerate(q[key])]
    return q


def _rules(r: Any, path: str) -> Any:
    if not isinstance(r, dict):
        return r
    r = dict(r)
    if "quorum" in r:
        r["quorum"] = _fraction(r["quorum"], f"{path}.quorum")
    r.setdefault("thresholds", [])
    r.setdefault("revote", "last-counts")
    if isinstance(r["thresholds"], list):
        fixed = []
        for i, item in enumerate(r["thresholds"]):
            if isinstance(item, dict) and "fraction" in item:
                frac = _fraction(item["fraction"], f"{path}.thresholds[{i}].fraction")
                fixed.append(dict(item, fraction=frac))
            else:
                fixed.append(item)
        r["thresholds"] = fixed
    return r


def _toml_path(wire_path: str) -> str:
    """Map a wire path back to the TOML spelling (labels are flattened)."""
    path = re.sub(r"\.label(?=\.|$)", "", wire_path)
    return path


def manifest_from_toml(source: str | bytes) -> Manifest:
    """Parse and check a TOML manifest; raises DecodeError naming the field."""
    raw = source.encode("utf-8") if isinstance(source, str) else source
    if len(raw) > MAX_TOML_BYTES:
        raise DecodeError("", f"manifest larger than {MAX_TOML_BYTES} bytes")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise DecodeError("", "manifest is not UTF-8") from exc
    except tomllib.TOMLDecodeError as exc:
        raise DecodeError("", f"not valid TOML: {exc}") from exc
    except RecursionError:  # tomllib recurses once per level of nested arrays and tables
        raise DecodeError("", "not valid TOML: nested too deeply") from None
    except ValueError:  # Python's limit on the digits of an integer (4,300 by default)
        raise DecodeError("", "not valid TOML: a number has too many digits") from None
    info = document_info(Manifest)
    if info is None:  # pragma: no cover - Manifest is a document
        raise TypeError("Manifest is not a document")
    for key in ("type", "version"):
        if key in data:
            raise DecodeError(key, "set by kiemphieu, not in the TOML file")
    data["type"], data["version"] = info.kind, info.version
    data.setdefault("counter_bits", 24)
    data.setdefault("rules", None)
    data.setdefault("meeting", None)
    if isinstance(data["meeting"], dict) and isinstance(data["meeting"].get("date"), dt.date):
        data["meeting"] = dict(data["meeting"], date=data["meeting"]["date"].isoformat())
    if isinstance(data.get("questions"), list):
        data["questions"] = [
            _question(q, f"questions[{i}]") for i, q in enumerate(data["questions"])
        ]
    if data["rules"] is not None:
        data["rules"] = _rules(data["rules"], "rules")
    try:
        return codec.from_wire(Manifest, data)
    except DecodeError as exc:
        raise DecodeError(
            _toml_path(exc.path if exc.path != "<root>" else ""), exc.message
        ) from None
