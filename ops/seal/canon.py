"""What a seal commits to: the key, each sealed table's canonical form of a row, and the tags.

A row's canonical form is its concrete columns by name, in name order, as JSON (times in UTC ISO 8601,
JSON fields with sorted keys): the same on SQLite and PostgreSQL, so a trail sealed on one verifies
after a move to the other. The fields a table lets go (`SEAL_LETS_GO` on the model: today the actor's
link, which Django sets to NULL when a user row goes) are left out of it and committed to separately by a
keyed hash that must match until they hold their erased value: erasing them breaks nothing, any other
change to them is still found.

Tags are HMAC-SHA256 with the seal key, cut short: a row's 8 bytes (the chain's digest over every link
is the full 32), the let-go fields' 4. Without the key nobody can make a tag that matches, and the key
never leaves the settings.
"""

import hashlib
import hmac
import json
import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import models

ROW_TAG, LETS_GO_TAG = 8, 4
ENTRY = struct.Struct(">q8s4sB")  # id, the row's tag, the let-go fields' tag, flags
MAY_GO = 1  # flag: the row may be pruned later by the system itself (SEAL_MAY_GO)
ERASED_AT_SEAL = bytes(LETS_GO_TAG)  # the let-go tag of a row whose let-go fields were already erased


def seal_key() -> bytes:
    """AUDIT_SEAL_KEY, or a key derived from SECRET_KEY (so changing SECRET_KEY changes it: see settings)."""
    if settings.AUDIT_SEAL_KEY:
        return settings.AUDIT_SEAL_KEY.encode()
    return hmac.new(settings.SECRET_KEY.encode(), b"mvnoadmin audit-trail seal key", hashlib.sha256).digest()


def key_id(key: bytes) -> str:
    """A fingerprint that says which key made a seal, and tells nothing of the key."""
    return hmac.new(key, b"key id", hashlib.sha256).hexdigest()[:16]


def _utc(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


@dataclass(frozen=True)
class Table:
    """A sealed table and how its rows are read for sealing: `columns` is what a query asks for (the id
    first), `core` and `lets_go` their positions in it."""

    label: str
    model: type[models.Model]
    columns: tuple[str, ...]
    core: tuple[int, ...]
    lets_go: tuple[int, ...]
    erased: tuple[Any, ...]  # the let-go fields' erased values, in their order
    may_go: tuple[tuple[int, Any], ...]  # (position, value): all equal means the row may be pruned
    times: frozenset[int]  # positions of date-times

    @classmethod
    def of(cls, label: str) -> "Table":
        model = apps.get_model(label)
        fields = sorted(model._meta.concrete_fields, key=lambda f: f.attname)
        lets_go_names = dict(getattr(model, "SEAL_LETS_GO", {}))
        pk = model._meta.pk.attname
        columns = (pk, *[f.attname for f in fields if f.attname != pk])
        by_name = {name: i for i, name in enumerate(columns)}
        core = tuple(sorted((by_name[f.attname] for f in fields if f.attname not in lets_go_names),
                            key=lambda i: columns[i]))
        return cls(label=label, model=model, columns=columns, core=core,
                   lets_go=tuple(by_name[name] for name in lets_go_names),
                   erased=tuple(lets_go_names.values()),
                   may_go=tuple((by_name[name], value) for name, value in getattr(model, "SEAL_MAY_GO", {}).items()),
                   times=frozenset(by_name[f.attname] for f in fields if isinstance(f, models.DateTimeField)))

    def rows(self, after: int, upto: int, *, limit: int | None = None) -> list[tuple]:
        """The rows with an id in (after, upto], by id (at most `limit`): one query, by the primary key."""
        query = (self.model._default_manager.filter(pk__gt=after, pk__lte=upto).order_by("pk")
                 .values_list(*self.columns))
        return list(query[:limit] if limit else query)

    def _form(self, row: tuple, positions: tuple[int, ...]) -> bytes:
        values = [_utc(row[i]) if i in self.times else row[i] for i in positions]
        return json.dumps([self.label, *values], sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          default=str).encode()

    def row_tag(self, key: bytes, row: tuple) -> bytes:
        return hmac.new(key, b"row\0" + self._form(row, self.core), hashlib.sha256).digest()[:ROW_TAG]

    def lets_go_tag(self, key: bytes, row: tuple) -> bytes | None:
        """The let-go fields' tag, or None when they hold their erased values (nothing left to commit to)."""
        if self.erased_now(row):
            return None
        return hmac.new(key, b"lets go\0" + self._form(row, (0, *self.lets_go)), hashlib.sha256).digest()[:LETS_GO_TAG]

    def erased_now(self, row: tuple) -> bool:
        return all(row[i] == value for i, value in zip(self.lets_go, self.erased, strict=True))

    def entry(self, key: bytes, row: tuple) -> bytes:
        """What a seal keeps of one row."""
        flags = MAY_GO if self.may_go and all(row[i] == value for i, value in self.may_go) else 0
        return ENTRY.pack(row[0], self.row_tag(key, row), self.lets_go_tag(key, row) or ERASED_AT_SEAL, flags)


def sealed_tables() -> list[Table]:
    return [Table.of(label) for label in settings.AUDIT_SEALED]


def chain(key: bytes, previous: str, *, label: str, after_id: int, last_id: int, raw: bytes) -> str:
    """The running digest of a table's chain once this link (its rows' entries, `raw`) is added."""
    head = f"{previous}|{label}|{after_id}|{last_id}|".encode()
    return hmac.new(key, head + raw, hashlib.sha256).hexdigest()


def pack(entries: Iterable[bytes]) -> tuple[bytes, bytes]:
    """The entries as chained (raw) and as stored (compressed: ids in a run and short tags)."""
    raw = b"".join(entries)
    return raw, zlib.compress(raw, 6)


def unpack(stored: bytes) -> tuple[bytes, list[tuple[int, bytes, bytes, int]]]:
    raw = zlib.decompress(bytes(stored))
    return raw, list(ENTRY.iter_unpack(raw))
