"""The relay of the committee's key generation (docs/spec.md §12.7, docs/api.md).

The server computes nothing secret and holds nothing secret: it stores each
trustee's signed round message (broadcast, sealed letters, signature), hands
each trustee the others' broadcasts and the letters sealed to it, keeps the
rounds in lockstep, stops a run when a trustee misses a round's deadline
(naming it), and, when every trustee has confirmed without complaint,
assembles the public evidence (§12.8) into the key ceremony and publishes it
through the same checks as any key ceremony. No Flask here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from kiemphieu.crypto.election.ceremony import publish_generated
from kiemphieu.crypto.errors import InvalidSignature, KiemphieuCryptoError, ParameterError
from kiemphieu.crypto.keygen.envelope import Route, session_hash, verify_message
from kiemphieu.crypto.keygen.evidence import SignedRound, assemble, derive_key
from kiemphieu.crypto.keygen.frames import RoundDelivery, RoundPost
from kiemphieu.crypto.keygen.parameters import KeygenParameters
from kiemphieu.crypto.primitives.paillier import KeyPolicy

from . import committee, elections
from .elections import State, audit
from .errors import ApiError, bad_request, conflict, not_found
from .storage import schema
from .storage.database import Database, now

RUNNING, DONE, FAILED = "running", "done", "failed"
MAX_TIMEOUT = 3600
MAX_RUN = (1 << 31) - 1
ABORT = "abort"
"""The label a stop notice is signed under (never a round's, docs/spec.md §12.7)."""


@dataclass(frozen=True)
class KeygenRun:
    """A run as stored (public)."""

    election_id: str
    run: int
    bits: int
    batch: int
    timeout: int
    session: bytes
    state: str
    failure: str | None
    label: str | None
    posted: tuple[int, ...]

    def public(self) -> dict[str, object]:
        return {
            "run": self.run,
            "bits": self.bits,
            "batch": self.batch,
            "timeout": self.timeout,
            "session": self.session.hex(),
            "state": self.state,
            "failure": self.failure,
            "label": self.label,
            "posted": list(self.posted),
        }


def _row(conn: Connection, election_id: str, run: int | None, *, lock: bool = False) -> KeygenRun:
    t = schema.keygen_runs
    q = select(t).where(t.c.election_id == election_id)
    q = q.order_by(t.c.run.desc()).limit(1) if run is None else q.where(t.c.run == run)
    if lock and conn.dialect.name == "postgresql":
        q = q.with_for_update()
    r = conn.execute(q).one_or_none()
    if r is None:
        raise not_found("key generation run")
    posted: tuple[int, ...] = ()
    if r.label is not None:
        m = schema.keygen_messages
        posted = tuple(
            conn.execute(
                select(m.c.sender)
                .where(m.c.election_id == election_id, m.c.run == r.run, m.c.label == r.label)
                .order_by(m.c.sender)
            ).scalars()
        )
    return KeygenRun(
        election_id,
        r.run,
        r.bits,
        r.batch,
        r.timeout,
        r.session,
        r.state,
        r.failure,
        r.label,
        posted,
    )


def get_run(db: Database, election_id: str, run: int | None = None) -> KeygenRun:
    """The run (the latest if ``run`` is None); 404 if there is none."""
    with db.read() as conn:
        return _row(conn, election_id, run)


def start_run(
    db: Database,
    election_id: str,
    *,
    bits: int,
    batch: int,
    timeout: int,
    policy: KeyPolicy,
    actor: str,
) -> KeygenRun:
    """Open a new run for the registered committee (draft only); a running run
    it replaces is stopped. 400 for parameters the policy or §12.1 refuses."""
    try:
        policy.check_bits(bits)
    except ParameterError as exc:
        raise bad_request("bad-parameters", str(exc), "bits") from exc
    if not 1 <= batch <= 1 << 16:
        raise bad_request("bad-parameters", "batch must be in 1..65536", "batch")
    if not 1 <= timeout <= MAX_TIMEOUT:
        raise bad_request("bad-parameters", f"timeout must be in 1..{MAX_TIMEOUT} s", "timeout")
    with db.write() as conn:
        row = elections.get(conn, election_id, lock=True)
        if row.state is not State.DRAFT:
            raise conflict(
                "wrong-state", "keys are generated while the election is a draft", "state"
            )
        rules = row.manifest.rules
        t, l = (rules.threshold, rules.trustees) if rules is not None else (0, 0)  # noqa: E741
        try:
            KeygenParameters(bits, t, l)
        except ParameterError as exc:
            raise bad_request("bad-parameters", str(exc), "trustees") from exc
        members = committee.registered_committee(conn, election_id).trustees
        if len(members) != l:
            raise conflict("no-committee", f"{len(members)} of {l} trustees are registered")
        t_runs = schema.keygen_runs
        last = conn.execute(
            select(func.max(t_runs.c.run)).where(t_runs.c.election_id == election_id)
        ).scalar_one()
        number = (last or 0) + 1
        conn.execute(
            t_runs.update()
            .where(t_runs.c.election_id == election_id, t_runs.c.state == RUNNING)
            .values(state=FAILED, failure=f"stopped: run {number} was started", updated_at=now())
        )
        session = session_hash(
            election_id,
            number,
            bits=bits,
            t=t,
            l=l,
            batch=batch,
            identity_keys=[m.identity_key for m in members],
        )
        stamp = now()
        conn.execute(
            t_runs.insert().values(
                election_id=election_id,
                run=number,
                bits=bits,
                batch=batch,
                timeout=timeout,
                session=session,
                state=RUNNING,
                seq=0,
                started_at=stamp,
                updated_at=stamp,
            )
        )
        audit(
            conn, election_id, actor, "keygen-start", {"run": number, "bits": bits, "batch": batch}
        )
        return _row(conn, election_id, number)


def _fail(conn: Connection, run: KeygenRun, reason: str) -> None:
    t = schema.keygen_runs
    conn.execute(
        t.update()
        .where(t.c.election_id == run.election_id, t.c.run == run.run, t.c.state == RUNNING)
        .values(state=FAILED, failure=reason, updated_at=now())
    )
    audit(conn, run.election_id, "keygen", "keygen-failed", {"run": run.run, "reason": reason})


def _running(run: KeygenRun) -> None:
    if run.state != RUNNING:
        raise ApiError(
            409, "keygen-stopped", f"run {run.run} is {run.state}: {run.failure or ''}".strip(": ")
        )


def _pack_hashes(hashes: dict[int, bytes]) -> bytes:
    return b"".join(bytes([j]) + hashes[j] for j in sorted(hashes))


def _unpack_hashes(blob: bytes) -> dict[int, bytes]:
    return {blob[k]: blob[k + 1 : k + 33] for k in range(0, len(blob), 33)}


def _identity_keys(conn: Connection, election_id: str) -> list[bytes]:
    return [m.identity_key for m in committee.trustees(conn, election_id)]


def post_message(
    db: Database, election_id: str, run_number: int, post: RoundPost, policy: KeyPolicy
) -> bool:
    """Store a trustee's signed round message. True when new, False for an
    identical repeat. 403 for a non-member or a bad signature, 409 for a round
    out of turn, a different second message, or a stopped run."""
    with db.write() as conn:
        run = _row(conn, election_id, run_number, lock=True)
        _running(run)
        keys = _identity_keys(conn, election_id)
        if not 1 <= post.sender <= len(keys):
            raise ApiError(403, "not-a-member", f"trustee {post.sender} is not on the committee")
        if not all(1 <= j <= len(keys) for j in post.letters):
            raise bad_request("malformed", "a letter is addressed to no trustee", "letters")
        try:
            verify_message(
                keys[post.sender - 1],
                post.signature,
                Route(run.session, post.label, post.sender),
                post.broadcast,
                post.hashes,
            )
        except InvalidSignature as exc:
            raise ApiError(403, "bad-signature", str(exc)) from exc
        m = schema.keygen_messages
        mine = conn.execute(
            select(m.c.broadcast, m.c.hashes, m.c.signature).where(
                m.c.election_id == election_id,
                m.c.run == run.run,
                m.c.label == post.label,
                m.c.sender == post.sender,
            )
        ).one_or_none()
        if mine is not None:
            if (mine.broadcast, mine.hashes, mine.signature) == (
                post.broadcast,
                _pack_hashes(post.hashes),
                post.signature,
            ):
                return False
            raise conflict(
                "round-conflict",
                f"trustee {post.sender} already sent another message for {post.label}",
            )
        stamp = now()
        if post.label != run.label:
            if run.label is not None and len(run.posted) < len(keys):
                missing = sorted(set(range(1, len(keys) + 1)) - set(run.posted))
                raise conflict(
                    "round-open",
                    f"round {run.label} still waits for trustee(s) {', '.join(map(str, missing))}",
                )
            used = conn.execute(
                select(func.count())
                .select_from(m)
                .where(m.c.election_id == election_id, m.c.run == run.run, m.c.label == post.label)
            ).scalar_one()
            if used:
                raise conflict("round-done", f"round {post.label} is over")
            t = schema.keygen_runs
            conn.execute(
                t.update()
                .where(t.c.election_id == election_id, t.c.run == run.run)
                .values(label=post.label, label_started=stamp, seq=t.c.seq + 1, updated_at=stamp)
            )
        seq = conn.execute(
            select(schema.keygen_runs.c.seq).where(
                schema.keygen_runs.c.election_id == election_id,
                schema.keygen_runs.c.run == run.run,
            )
        ).scalar_one()
        conn.execute(
            m.insert().values(
                election_id=election_id,
                run=run.run,
                label=post.label,
                sender=post.sender,
                seq=seq,
                broadcast=post.broadcast,
                hashes=_pack_hashes(post.hashes),
                signature=post.signature,
                at=stamp,
            )
        )
        for j, sealed in post.letters.items():
            conn.execute(
                schema.keygen_letters.insert().values(
                    election_id=election_id,
                    run=run.run,
                    label=post.label,
                    sender=post.sender,
                    recipient=j,
                    sealed=sealed,
                )
            )
        posted_now = len(run.posted) + 1 if post.label == run.label else 1
        complete = posted_now == len(keys)
    if complete and post.label == "key/confirm":
        _finish(db, election_id, run_number, policy)
    return True


MAX_REASON = 500


def abort_run(
    db: Database, election_id: str, run_number: int, *, sender: int, reason: str, signature: bytes
) -> None:
    """A trustee whose check failed stops the run for everyone at once, with its
    reason (which names the deviating trustee where the check could). 403 unless
    signed by that member for this run; 409 if the run already stopped."""
    if not reason or len(reason) > MAX_REASON or not reason.isprintable():
        raise bad_request(
            "malformed", f"reason must be 1..{MAX_REASON} printable characters", "reason"
        )
    with db.write() as conn:
        run = _row(conn, election_id, run_number, lock=True)
        _running(run)
        keys = _identity_keys(conn, election_id)
        if not 1 <= sender <= len(keys):
            raise ApiError(403, "not-a-member", f"trustee {sender} is not on the committee")
        try:
            verify_message(
                keys[sender - 1], signature, Route(run.session, ABORT, sender), reason.encode(), {}
            )
        except InvalidSignature as exc:
            raise ApiError(403, "bad-signature", str(exc)) from exc
        _fail(conn, run, f"trustee {sender} stopped the run: {reason}")


def deliveries(
    db: Database, election_id: str, run_number: int, label: str, reader: int
) -> list[RoundDelivery] | list[int]:
    """The other trustees' messages of round ``label`` for trustee ``reader``,
    or the list of trustees still missing. A round past its deadline stops the
    run (409, naming who is missing). Reads only, unless it stops the run."""
    with db.read() as conn:
        run = _row(conn, election_id, run_number)
        size = len(_identity_keys(conn, election_id))
        if not 1 <= reader <= size:
            raise ApiError(403, "not-a-member", f"trustee {reader} is not on the committee")
        m = schema.keygen_messages
        rows = conn.execute(
            select(m).where(m.c.election_id == election_id, m.c.run == run.run, m.c.label == label)
        ).all()
        missing = sorted(set(range(1, size + 1)) - {r.sender for r in rows})
        if not missing:
            letters = schema.keygen_letters
            sealed = {
                r.sender: r.sealed
                for r in conn.execute(
                    select(letters.c.sender, letters.c.sealed).where(
                        letters.c.election_id == election_id,
                        letters.c.run == run.run,
                        letters.c.label == label,
                        letters.c.recipient == reader,
                    )
                )
            }
            return [
                RoundDelivery(
                    label,
                    r.sender,
                    r.broadcast,
                    _unpack_hashes(r.hashes),
                    sealed.get(r.sender, b""),
                    r.signature,
                )
                for r in sorted(rows, key=lambda r: r.sender)
                if r.sender != reader
            ]
        _running(run)
        started = conn.execute(
            select(schema.keygen_runs.c.label_started).where(
                schema.keygen_runs.c.election_id == election_id,
                schema.keygen_runs.c.run == run.run,
            )
        ).scalar_one()
        late = started is not None and run.label == label and _elapsed(started) > run.timeout
    if not late:
        return missing
    who = ", ".join(map(str, missing))
    reason = f"trustee(s) {who} sent nothing for round {label} within {run.timeout} s"
    with db.write() as conn:
        _fail(conn, _row(conn, election_id, run_number, lock=True), reason)
        failure = _row(conn, election_id, run_number).failure or reason
    raise ApiError(409, "keygen-stopped", failure)


def _elapsed(stamp: str) -> float:
    return (dt.datetime.now(dt.UTC) - dt.datetime.fromisoformat(stamp)).total_seconds()


def _kept(conn: Connection, run: KeygenRun, label: str) -> dict[int, SignedRound]:
    m = schema.keygen_messages
    rows = conn.execute(
        select(m).where(m.c.election_id == run.election_id, m.c.run == run.run, m.c.label == label)
    ).all()
    return {r.sender: SignedRound(r.broadcast, _unpack_hashes(r.hashes), r.signature) for r in rows}


def _finish(db: Database, election_id: str, run_number: int, policy: KeyPolicy) -> None:
    """Every trustee confirmed: publish the key, or stop the run on a complaint."""
    with db.write() as conn:
        run = _row(conn, election_id, run_number, lock=True)
        if run.state != RUNNING:
            return
        confirms = _kept(conn, run, "key/confirm")
        accusers = sorted(j for j, r in confirms.items() if r.broadcast)
        if accusers:
            _fail(
                conn,
                run,
                f"trustee(s) {', '.join(map(str, accusers))} found inconsistent key shares",
            )
            return
        m = schema.keygen_messages
        commit_label = conn.execute(
            select(m.c.label)
            .where(m.c.election_id == election_id, m.c.run == run.run, m.c.label.like("a%/commit"))
            .order_by(m.c.seq.desc())
            .limit(1)
        ).scalar_one()
        prefix = commit_label.split("/")[0]
        commits, reveals = _kept(conn, run, commit_label), _kept(conn, run, f"{prefix}/reveal")
        opens, shares = _kept(conn, run, "key/open"), _kept(conn, run, "key/share")
        row = elections.get(conn, election_id)
        rules = row.manifest.rules
        announced = {r.broadcast for r in shares.values()}
        try:
            if len(announced) != 1 or rules is None:
                raise ParameterError("the trustees announced different moduli")
            n = int.from_bytes(announced.pop(), "big")
            rounds = {
                j: {"commit": commits[j], "reveal": reveals[j], "key/open": opens[j]}
                for j in commits
            }
            generation = assemble(
                n,
                rules.threshold,
                run=run.run,
                batch=run.batch,
                attempt=int(prefix[1:]),
                rounds=rounds,
            )
            key = derive_key(generation, n, rules.threshold, election_id)
            ceremony = publish_generated(
                election_id, committee.registered_committee(conn, election_id), key, generation
            )
        except (KiemphieuCryptoError, KeyError) as exc:
            _fail(conn, run, f"the evidence does not assemble: {exc}")
            return
    try:
        elections.publish_keys(
            db,
            election_id,
            ceremony,
            policy,
            actor="keygen",
            committee=lambda c, published: committee.check_ceremony_committee(
                c, election_id, published
            ),
        )
    except ApiError as exc:
        with db.write() as conn:
            _fail(conn, _row(conn, election_id, run_number), f"the key was refused: {exc.message}")
        return
    with db.write() as conn:
        t = schema.keygen_runs
        conn.execute(
            t.update()
            .where(t.c.election_id == election_id, t.c.run == run_number)
            .values(state=DONE, updated_at=now())
        )
