"""Per-process cache of election contexts (building one hashes the manifest)."""

from __future__ import annotations

import threading

from kiemphieu.crypto.election.context import ElectionContext
from kiemphieu.crypto.primitives.paillier import KeyPolicy

from .elections import ElectionRow, context


class ContextCache:
    """ElectionContext by (election id, ceremony); keys never change once published."""

    def __init__(self, policy: KeyPolicy) -> None:
        self.policy = policy
        self._lock = threading.Lock()
        self._items: dict[str, ElectionContext] = {}

    def get(self, row: ElectionRow) -> ElectionContext:
        with self._lock:
            ctx = self._items.get(row.id)
            if ctx is not None and row.ceremony is not None and ctx.key == row.ceremony.key:
                return ctx
        ctx = context(row, self.policy)
        with self._lock:
            self._items[row.id] = ctx
        return ctx
