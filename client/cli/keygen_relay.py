"""This trustee's side of the key generation relay (docs/spec.md §12.7, docs/api.md).

:class:`Relay` posts this trustee's signed frames (letters signed, then sealed
to each recipient's X25519 key) and reads the others': it checks every
sender's signature against the committee's identity keys, checks that each
letter addressed here is the one the sender signed for, opens it, and checks
the letter's own signature. The server is not trusted with any of it: a
message it forges, drops or alters is refused here with its sender named.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

from kiemphieu.crypto.election.committee import Trustee
from kiemphieu.crypto.errors import DecodeError, KiemphieuCryptoError
from kiemphieu.crypto.keygen import envelope
from kiemphieu.crypto.keygen.envelope import Route
from kiemphieu.crypto.keygen.frames import RoundPost, encode_post, split_deliveries
from kiemphieu.crypto.keygen.messages import Incoming, Outgoing

from .connection import NotReady
from .http import BadReply, NetworkError, ServerError, api_path
from .keystore import TrusteeKeys


class Stopped(NotReady):
    """The run stopped: the message names the trustee where a check could."""


@dataclass
class Relay:
    """This trustee's side of the relay: post signed frames, read and open the others'."""

    client: Any
    """An ApiClient (or anything with its ``exchange``)."""
    election_id: str
    run: int
    index: int
    keys: TrusteeKeys = field(repr=False)
    members: dict[int, Trustee]
    session: bytes
    deadline_s: float
    poll_s: float = 0.05

    def post(self, out: Outgoing) -> None:
        letters = {}
        for j, payload in out.private.items():
            if payload:
                letter = envelope.sign_letter(
                    self.keys.identity_seed, Route(self.session, out.label, self.index, j), payload
                )
                letters[j] = envelope.seal(
                    self.keys.encryption_secret, self.members[j].encryption_key, letter
                )
        signature = envelope.sign_message(
            self.keys.identity_seed,
            Route(self.session, out.label, self.index),
            out.broadcast,
            envelope.letter_hashes(letters),
        )
        frame = encode_post(RoundPost(out.label, self.index, out.broadcast, letters, signature))
        path = api_path(
            "trustee", "elections", self.election_id, "keygen", str(self.run), "messages"
        )
        self.client.exchange("POST", path, frame, idempotent=True)

    def abort(self, reason: str) -> None:
        """Stop the run for everyone with ``reason`` (signed); best effort: the
        run may have stopped already."""
        text = " ".join(reason.split())[:500] or "stopped"
        signature = envelope.sign_message(
            self.keys.identity_seed, Route(self.session, "abort", self.index), text.encode(), {}
        )
        path = api_path("trustee", "elections", self.election_id, "keygen", str(self.run), "abort")
        body = json.dumps({"sender": self.index, "reason": text, "signature": signature.hex()})
        with contextlib.suppress(ServerError, NetworkError):
            self.client.exchange("POST", path, body.encode(), content_type="application/json")

    def read(self, label: str) -> Incoming:
        path = api_path("trustee", "elections", self.election_id, "keygen", str(self.run), "round")
        query = f"{path}?label={label}&reader={self.index}"
        started = time.monotonic()
        missing: list[int] = []
        while True:
            try:
                status, raw = self.client.exchange("GET", query)
            except ServerError as exc:
                if exc.status == 409:
                    raise Stopped(f"the key generation stopped: {exc.message}") from None
                raise
            if status == 200:
                return self._open(label, raw)
            missing = self._missing(raw)
            if time.monotonic() - started > self.deadline_s:
                who = ", ".join(f"{j} ({self.members[j].name})" for j in missing)
                raise Stopped(f"round {label}: no message from trustee(s) {who} in time")
            time.sleep(self.poll_s)

    @staticmethod
    def _missing(raw: bytes) -> list[int]:
        try:
            value = json.loads(raw)
            return [int(j) for j in value["missing"]]
        except (ValueError, KeyError, TypeError):
            raise BadReply("the relay's answer for a waiting round is malformed") from None

    def _open(self, label: str, raw: bytes) -> Incoming:
        try:
            deliveries = split_deliveries(raw)
        except DecodeError as exc:
            raise BadReply(f"round {label}: {exc}") from None
        others = [j for j in self.members if j != self.index]
        if sorted(d.sender for d in deliveries) != others or any(
            d.label != label for d in deliveries
        ):
            raise BadReply(f"round {label}: the relay did not return one message per trustee")
        broadcasts, private, letters = {}, {}, {}
        for d in deliveries:
            j = d.sender
            try:
                envelope.verify_message(
                    self.members[j].identity_key,
                    d.signature,
                    Route(self.session, label, j),
                    d.broadcast,
                    d.hashes,
                )
            except KiemphieuCryptoError as exc:
                raise Stopped(f"round {label}: {exc} (the relay or trustee {j})") from None
            expected = d.hashes.get(self.index)
            if expected is None:
                if d.letter:
                    raise BadReply(f"round {label}: a letter trustee {j} did not sign for")
                private[j] = b""
                broadcasts[j] = d.broadcast
                continue
            if hashlib.sha256(d.letter).digest() != expected:
                raise BadReply(f"round {label}: the relay withheld or changed trustee {j}'s letter")
            try:
                letter = envelope.unseal(
                    self.keys.encryption_secret,
                    self.members[j].encryption_key,
                    d.letter,
                    f"round {label} from trustee {j}",
                )
                private[j] = envelope.open_letter(
                    self.members[j].identity_key, letter, Route(self.session, label, j, self.index)
                )
            except KiemphieuCryptoError as exc:
                raise Stopped(f"round {label}: {exc}") from None
            letters[j] = letter
            broadcasts[j] = d.broadcast
        return Incoming(label, broadcasts, private, letters)
