"""Run a distributed key generation in memory, round by round (tests only).

Each trustee's private payloads travel as letters signed by its identity key
(crypto/keygen/envelope.py), so complaints carry real evidence. ``tamper``
lets a test play a deviating trustee: it sees (label, sender, Outgoing) and
returns the Outgoing actually delivered. ``watch`` sees every party after
each round (to inspect state during the run).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

import nacl.signing

from kiemphieu.crypto.keygen.envelope import Route, session_hash, sign_letter
from kiemphieu.crypto.keygen.messages import Incoming, KeygenResult, Outgoing
from kiemphieu.crypto.keygen.parameters import KeygenParameters
from kiemphieu.crypto.keygen.party import KeygenParty

Tamper = Callable[[str, int, Outgoing], Outgoing]


@dataclass
class Run:
    params: KeygenParameters
    session: bytes
    seeds: dict[int, bytes]
    parties: dict[int, KeygenParty]
    labels: list[str]


def make_run(params: KeygenParameters, election_id: str, batch: int) -> Run:
    seeds = {j: secrets.token_bytes(32) for j in params.parties}
    keys = {j: bytes(nacl.signing.SigningKey(s).verify_key) for j, s in seeds.items()}
    session = session_hash(
        election_id,
        1,
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
    return Run(params, session, seeds, parties, [])


def run(
    params: KeygenParameters,
    election_id: str,
    batch: int,
    *,
    tamper: Tamper | None = None,
    watch: Callable[[Run], None] | None = None,
    max_rounds: int = 100_000,
) -> tuple[Run, dict[int, KeygenResult]]:
    state = make_run(params, election_id, batch)
    outgoing = {j: p.start() for j, p in state.parties.items()}
    for _ in range(max_rounds):
        if tamper is not None:
            outgoing = {j: tamper(o.label, j, o) for j, o in outgoing.items()}
        label = next(iter(outgoing.values())).label
        state.labels.append(label)
        nxt: dict[int, Outgoing | KeygenResult] = {}
        for k, party in state.parties.items():
            others = [j for j in params.parties if j != k]
            letters = {
                j: sign_letter(
                    state.seeds[j], Route(state.session, label, j, k), outgoing[j].private[k]
                )
                for j in others
            }
            incoming = Incoming(
                label,
                {j: outgoing[j].broadcast for j in others},
                {j: outgoing[j].private[k] for j in others},
                letters,
            )
            nxt[k] = party.receive(incoming)
        if watch is not None:
            watch(state)
        if all(isinstance(x, KeygenResult) for x in nxt.values()):
            return state, nxt  # type: ignore[return-value]
        outgoing = nxt  # type: ignore[assignment]
    raise RuntimeError("key generation did not finish")
