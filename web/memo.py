"""A small per-process memo for results that are costly to work out and never change."""

from __future__ import annotations

from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class BoundedMemo(Generic[K, V]):
    """At most `limit` remembered entries; when full, it forgets everything and starts again.

    Safe to share between threads: each call is a single dict operation, and a lost entry only
    means the work is done again.
    """

    def __init__(self, limit: int = 4096) -> None:
        self._limit = limit
        self._entries: dict[K, V] = {}

    def get(self, key: K) -> V | None:
        """The value remembered for `key`, or None."""
        return self._entries.get(key)

    def remember(self, key: K, value: V) -> None:
        """Keep `value` for `key`."""
        if len(self._entries) >= self._limit:
            self._entries.clear()
        self._entries[key] = value

    def __len__(self) -> int:
        return len(self._entries)
