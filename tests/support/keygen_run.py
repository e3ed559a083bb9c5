"""Run a distributed key generation in memory, round by round (tests only).

Every trustee signs its round messages and letters with its identity key and
seals letters to the recipient's X25519 key, as the trustee tool does
(crypto/keygen/envelope.py), so complaints carry real evidence and the run's
public evidence (§12.8) can be assembled and verified. ``tamper`` lets a test
play a deviating trustee: it sees (label, sender, Outgoing) and returns the
Outgoing actually sent. ``watch`` sees the run after each round.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import nacl.public
import nacl.signing

from kiemphieu.crypto.keygen.envelope import (
    Route,
    letter_hashes,
    open_letter,
    seal,
    session_hash,
    sign_letter,
    sign_message,
    unseal,
)
from kiemphieu.crypto.keygen.evidence import KeyGeneration, SignedRound, assemble
from kiemphieu.crypto.keygen.messages import Incoming, KeygenResult, Outgoing
from kiemphieu.crypto.keygen.parameters import KeygenParameters
from kiemphieu.crypto.keygen.party import KeygenParty

Tamper = Callable[[str, int, Outgoing], Outgoing]
RUN = 1


@dataclass
class Run:
    params: KeygenParameters
    session: bytes
    seeds: dict[int, bytes] = field(repr=False)
    sealing: dict[int, bytes] = field(repr=False)
    parties: dict[int, KeygenParty]
    batch: int
    labels: list[str] = field(default_factory=list)
    kept: dict[int, dict[str, SignedRound]] = field(default_factory=dict)
    attempt: int = 0

    def evidence(self, results: dict[int, KeygenResult]) -> KeyGeneration:
        key = results[1].public
        return assemble(
            key.n, key.t, run=RUN, batch=self.batch, attempt=self.attempt, rounds=self.kept
        )


def make_run(
    params: KeygenParameters,
    election_id: str,
    batch: int,
    *,
    seeds: dict[int, bytes] | None = None,
    sealing: dict[int, bytes] | None = None,
) -> Run:
    """A run for fresh keys, or for a committee's (identity seeds, X25519 secrets)."""
    seeds = seeds or {j: bytes(nacl.signing.SigningKey.generate()) for j in params.parties}
    sealing = sealing or {j: bytes(nacl.public.PrivateKey.generate()) for j in params.parties}
    keys = {j: bytes(nacl.signing.SigningKey(s).verify_key) for j, s in seeds.items()}
    session = session_hash(
        election_id,
        RUN,
        bits=params.bits,
        t=params.t,
        l=params.l,
        batch=batch,
        identity_keys=[keys[j] for j in params.parties],
    )
    parties = {
        j: KeygenParty(
            params, j, session=session, election_id=election_id, batch=batch, identity_keys=keys
        )
        for j in params.parties
    }
    return Run(params, session, seeds, sealing, parties, batch)


def _deliver(state: Run, label: str, outgoing: dict[int, Outgoing]) -> dict[int, Incoming]:
    """Sign, seal, keep and open every message of one round, as sender and relay would."""
    params = state.params
    public = {j: bytes(nacl.public.PrivateKey(s).public_key) for j, s in state.sealing.items()}
    sealed: dict[int, dict[int, bytes]] = {}
    for j, out in outgoing.items():
        letters = {}
        for k, payload in out.private.items():
            if payload:
                letter = sign_letter(state.seeds[j], Route(state.session, label, j, k), payload)
                letters[k] = seal(state.sealing[j], public[k], letter)
        hashes = letter_hashes(letters)
        signature = sign_message(
            state.seeds[j], Route(state.session, label, j), out.broadcast, hashes
        )
        kind = label.split("/", 1)[1] if label.startswith("a") else label
        state.kept.setdefault(j, {})[kind] = SignedRound(out.broadcast, hashes, signature)
        sealed[j] = letters
    keys = {j: bytes(nacl.signing.SigningKey(s).verify_key) for j, s in state.seeds.items()}
    incoming = {}
    for k in params.parties:
        others = [j for j in params.parties if j != k]
        letters_for_k, private = {}, {}
        for j in others:
            box = sealed[j].get(k)
            if box is None:
                private[j] = b""
                continue
            letter = unseal(state.sealing[k], public[j], box, f"{label} from {j}")
            private[j] = open_letter(keys[j], letter, Route(state.session, label, j, k))
            letters_for_k[j] = letter
        incoming[k] = Incoming(
            label, {j: outgoing[j].broadcast for j in others}, private, letters_for_k
        )
    return incoming


def run(
    params: KeygenParameters,
    election_id: str,
    batch: int,
    *,
    tamper: Tamper | None = None,
    watch: Callable[[Run], None] | None = None,
    seeds: dict[int, bytes] | None = None,
    sealing: dict[int, bytes] | None = None,
    max_rounds: int = 100_000,
) -> tuple[Run, dict[int, KeygenResult]]:
    state = make_run(params, election_id, batch, seeds=seeds, sealing=sealing)
    outgoing = {j: p.start() for j, p in state.parties.items()}
    for _ in range(max_rounds):
        if tamper is not None:
            outgoing = {j: tamper(o.label, j, o) for j, o in outgoing.items()}
        label = next(iter(outgoing.values())).label
        state.labels.append(label)
        if label.endswith("/commit"):
            state.attempt = int(label[1 : label.index("/")])
        incoming = _deliver(state, label, outgoing)
        nxt = {k: party.receive(incoming[k]) for k, party in state.parties.items()}
        if watch is not None:
            watch(state)
        if all(isinstance(x, KeygenResult) for x in nxt.values()):
            return state, nxt  # type: ignore[return-value]
        outgoing = nxt  # type: ignore[assignment]
    raise RuntimeError("key generation did not finish")
