"""Tables of the election server (docs/server.md, storage).

Nothing here holds a trustee key share or a plaintext vote: ballots are stored
as their canonical encrypted wire bytes, credentials as public keys.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("applied_at", String(40), nullable=False),
)

settings = Table(
    "settings",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

elections = Table(
    "elections",
    metadata,
    Column("id", String(48), primary_key=True),
    Column("state", String(16), nullable=False),
    Column("manifest", Text, nullable=False),
    Column("manifest_hash", LargeBinary(32), nullable=False),
    Column("ceremony", Text),
    Column("base_hash", LargeBinary(32)),
    Column("board_head", LargeBinary(32)),
    Column("board_size", BigInteger, nullable=False, default=0),
    Column("created_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
)

credentials = Table(
    "credentials",
    metadata,
    Column("election_id", String(48), ForeignKey("elections.id"), primary_key=True),
    Column("public_key", LargeBinary(32), primary_key=True),
    Column("added_at", String(40), nullable=False),
)

board = Table(
    "board",
    metadata,
    Column("election_id", String(48), ForeignKey("elections.id"), primary_key=True),
    Column("position", BigInteger, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("payload_hash", LargeBinary(32), nullable=False),
    Column("head", LargeBinary(32), nullable=False),
    Column("credential", LargeBinary(32)),
    Column("payload", Text),
    Column("receipt", Text),
    Column("at", String(40), nullable=False),
    UniqueConstraint("election_id", "kind", "payload_hash", name="board_payload_once"),
)
Index("board_by_credential", board.c.election_id, board.c.credential)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("election_id", String(48)),
    Column("actor", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("detail", Text, nullable=False),
    Column("at", String(40), nullable=False),
)
Index("audit_by_election", audit_log.c.election_id, audit_log.c.id)


# --- schema version 2: the counting committee ---------------------------------

trustees = Table(
    "trustees",
    metadata,
    Column("election_id", String(48), ForeignKey("elections.id"), primary_key=True),
    Column("idx", Integer, primary_key=True),
    Column("identity_key", LargeBinary(32), nullable=False),
    Column("doc", Text, nullable=False),
    Column("added_at", String(40), nullable=False),
    UniqueConstraint("election_id", "identity_key", name="trustee_identity_once"),
)

trustee_shares = Table(
    "trustee_shares",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("election_id", String(48), ForeignKey("elections.id"), nullable=False),
    Column("idx", Integer, nullable=False),
    Column("purpose", String(8), nullable=False),
    Column("doc", Text, nullable=False),
    Column("valid", Boolean, nullable=False),
    Column("error", Text),
    Column("at", String(40), nullable=False),
)
Index("shares_by_election", trustee_shares.c.election_id, trustee_shares.c.purpose)

tallies = Table(
    "tallies",
    metadata,
    Column("election_id", String(48), ForeignKey("elections.id"), primary_key=True),
    Column("tally", Text, nullable=False),
    Column("packed", Text, nullable=False),
    Column("counted", Text, nullable=False),
    Column("counts", Text),
    Column("result", Text),
    Column("at", String(40), nullable=False),
)

VERSION_1 = (schema_version, settings, elections, credentials, board, audit_log)
VERSION_2 = (trustees, trustee_shares, tallies)


# --- schema version 3: what the registrar and the trustees pin -------------------

registrars = Table(
    "registrars",
    metadata,
    Column("election_id", String(48), ForeignKey("elections.id"), primary_key=True),
    Column("doc", Text, nullable=False),
    Column("added_at", String(40), nullable=False),
)

signed_rolls = Table(
    "signed_rolls",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("election_id", String(48), ForeignKey("elections.id"), nullable=False),
    Column("doc", Text, nullable=False),
    Column("at", String(40), nullable=False),
)
Index("signed_rolls_by_election", signed_rolls.c.election_id, signed_rolls.c.id)

attestations = Table(
    "attestations",
    metadata,
    Column("election_id", String(48), ForeignKey("elections.id"), primary_key=True),
    Column("idx", Integer, primary_key=True),
    Column("doc", Text, nullable=False),
    Column("at", String(40), nullable=False),
)

VERSION_3 = (registrars, signed_rolls, attestations)


# --- schema version 4: key generation by the committee (docs/spec.md §12) -------

keygen_runs = Table(
    "keygen_runs",
    metadata,
    Column("election_id", String(48), ForeignKey("elections.id"), primary_key=True),
    Column("run", Integer, primary_key=True),
    Column("bits", Integer, nullable=False),
    Column("batch", Integer, nullable=False),
    Column("timeout", Integer, nullable=False),
    Column("session", LargeBinary(32), nullable=False),
    Column("state", String(16), nullable=False),
    Column("failure", Text),
    Column("label", String(32)),
    Column("label_started", String(40)),
    Column("seq", Integer, nullable=False, default=0),
    Column("started_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
)

keygen_messages = Table(
    "keygen_messages",
    metadata,
    Column("election_id", String(48), ForeignKey("elections.id"), primary_key=True),
    Column("run", Integer, primary_key=True),
    Column("label", String(32), primary_key=True),
    Column("sender", Integer, primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("broadcast", LargeBinary, nullable=False),
    Column("hashes", LargeBinary, nullable=False),
    Column("signature", LargeBinary(64), nullable=False),
    Column("at", String(40), nullable=False),
)

keygen_letters = Table(
    "keygen_letters",
    metadata,
    Column("election_id", String(48), ForeignKey("elections.id"), primary_key=True),
    Column("run", Integer, primary_key=True),
    Column("label", String(32), primary_key=True),
    Column("sender", Integer, primary_key=True),
    Column("recipient", Integer, primary_key=True),
    Column("sealed", LargeBinary, nullable=False),
)

VERSION_4 = (keygen_runs, keygen_messages, keygen_letters)
