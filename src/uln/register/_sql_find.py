"""The SQL register's finds: the statements that read candidates and counts, and the
candidate source over them (see :mod:`uln.register.sql`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from uln.matching import MatchRecord, TermFrequencies, match_record
from uln.register import _sql_tables as t
from uln.register._sql_rows import _stored

if TYPE_CHECKING:
    from uln.register.sql import SqlRegister


_BLOCK_SIZES: Final = (
    sa.select(t.block_keys.c.key, sa.func.count())
    .where(t.block_keys.c.key.in_(sa.bindparam("keys", expanding=True)))
    .group_by(t.block_keys.c.key)
)


def _counts_query() -> Any:
    learners, totals = t.learners, t.name_totals
    parts = [
        sa.select(sa.literal(kind).label("kind"), column.label("key"), sa.func.count())
        .where(column.in_(sa.bindparam(kind, expanding=True)))
        .group_by(column)
        for kind, column in (("given", learners.c.given_key), ("family", learners.c.family_key))
    ]
    keys = t.block_keys.c.key
    parts.append(  # the size of each block a find may read
        sa.select(sa.literal("block").label("kind"), keys.label("key"), sa.func.count())
        .where(keys.in_(sa.bindparam("blocks", expanding=True)))
        .group_by(keys)
    )
    parts.append(
        sa.select(
            sa.literal("total").label("kind"),
            sa.literal("").label("key"),
            sa.func.coalesce(sa.func.sum(totals.c.n), 0),
        ).where(sa.bindparam("with_total"))
    )
    return sa.union_all(*parts)


_NAME_COUNTS: Final = _counts_query()
"""The counts of some given and family name keys, the sizes of some blocks, and (when
asked) the total (MariaDB/MySQL; see :data:`_FIND_ONE`)."""

_COUNT_KINDS: Final = {1: "given", 2: "family", 3: "total"}  # the kinds of _FIND_ONE's counts


def _find_query(wanted: str, among: str) -> Any:
    """A find in one statement: the candidates (the learners under the find's keys
    whose block is within its limit) with the name counts its weights ask for and,
    when not known yet, the total. Kind 0 is a candidate (ULN, version, data); 1 a
    given name count, 2 a family name count, 3 the total.

    The lists are bound whole, so the statement's text never changes with the number of
    keys and is prepared once: ``wanted`` gives the rows (key, lim) of the keys and
    their limits, ``among`` tests a column against a bound list (``{column}`` and
    ``{name}``, the parameter's name).
    """
    lists = (("b.key", "keys"), ("g.given_key", "given"), ("f.family_key", "family"))
    keys, given, family = (among.format(column=column, name=name) for column, name in lists)
    return sa.text(  # our table and column names; the values are bound
        f"WITH wanted AS ({wanted}), "  # noqa: S608
        f"sizes AS (SELECT b.key, count(*) AS n FROM {t.block_keys.name} b "
        f"WHERE {keys} GROUP BY b.key), "
        "allowed AS (SELECT s.key FROM sizes s JOIN wanted w ON w.key = s.key "
        "WHERE s.n <= w.lim) "
        f"SELECT 0 AS kind, l.uln AS key, l.version AS n, l.data FROM {t.learners.name} l "
        f"WHERE l.uln IN (SELECT b.uln FROM {t.block_keys.name} b "
        "WHERE b.key IN (SELECT a.key FROM allowed a)) "
        f"UNION ALL SELECT 1, g.given_key, count(*), NULL FROM {t.learners.name} g "
        f"WHERE {given} GROUP BY g.given_key "
        f"UNION ALL SELECT 2, f.family_key, count(*), NULL FROM {t.learners.name} f "
        f"WHERE {family} GROUP BY f.family_key "
        f"UNION ALL SELECT 3, '', coalesce(sum(n.n), 0), NULL FROM {t.name_totals.name} n "
        "WHERE :with_total"
    )


_FIND_ONE: Final = {
    # PostgreSQL binds arrays (= ANY plans as an index scan; IN (SELECT unnest ...)
    # took twice as long)
    "postgresql": _find_query(
        "SELECT w.key, w.lim FROM unnest(CAST(:keys AS text[]), CAST(:limits AS bigint[]))"
        " AS w(key, lim)",
        "{column} = ANY(CAST(:{name} AS text[]))",
    ),
    # SQLite: the lists as JSON text, read with json_each
    "sqlite": _find_query(
        "SELECT j.value AS key, CAST(json_extract(:limits, '$[' || j.key || ']') AS INTEGER)"
        " AS lim FROM json_each(:keys) j",
        "{column} IN (SELECT value FROM json_each(:{name}))",
    ),
}
"""A find in one statement (:func:`_find_query`), by dialect; MariaDB/MySQL use two
(:data:`_NAME_COUNTS`, then :data:`_CANDIDATE_ROWS`)."""

_CANDIDATE_ROWS: Final = (
    sa.select(t.learners.c.uln, t.learners.c.version, t.learners.c.data)
    .where(
        t.learners.c.uln.in_(
            sa.select(t.block_keys.c.uln)
            .where(t.block_keys.c.key.in_(sa.bindparam("keys", expanding=True)))
            .scalar_subquery()
        )
    )
    .order_by(t.learners.c.uln)
)


# -- the candidate source --------------------------------------------------------------


class _NameCounter(Counter[str]):
    """Counts of one name field, looked up in SQL the first time each key is asked for."""

    def __init__(self, register: SqlRegister, column: str) -> None:
        super().__init__()
        self._register = register
        self._column = column

    def __missing__(self, key: str) -> int:
        count = self._register._count_name(self._column, key)
        self[key] = count
        return count


class _SqlFrequencies(TermFrequencies):
    """Name frequencies read from SQL: the total when first needed, names as asked for."""

    def __init__(self, register: SqlRegister) -> None:
        self.__dict__["_register"] = register
        self.__dict__["_total"] = None
        super().__init__(
            given=_NameCounter(register, "given_key"),
            family=_NameCounter(register, "family_key"),
        )
        self.__dict__["_total"] = None  # not known yet (__init__ set it to 0)

    @property
    def total(self) -> int:
        value: int | None = self.__dict__["_total"]
        if value is None:
            value = self.__dict__["_total"] = self.__dict__["_register"]._searchable_total()
        return value

    @total.setter
    def total(self, value: int) -> None:
        self.__dict__["_total"] = value

    def _wanted(self, record: MatchRecord) -> tuple[dict[str, str], dict[str, str], bool]:
        """The name keys a find of ``record`` needs counted and does not have yet, by
        their stored form (each set to 0 until read), and whether the total is needed.

        The weights ask for the query's given name and for the family name it agrees
        on, which is its own family name or one of its previous ones.
        """
        given, family = self.given, self.family
        wanted_given = [] if record.given is None else [record.given.key]
        wanted_family = [info.key for info in (record.family, *record.previous) if info]
        wanted_given = [k for k in wanted_given if k not in given]
        wanted_family = [k for k in dict.fromkeys(wanted_family) if k not in family]
        given.update(dict.fromkeys(wanted_given, 0))
        family.update(dict.fromkeys(wanted_family, 0))
        return (
            {_stored(k, t.NAME_LENGTH): k for k in wanted_given},
            {_stored(k, t.NAME_LENGTH): k for k in wanted_family},
            self.__dict__["_total"] is None,
        )

    def _counted(
        self, kind: str, stored: str, count: int, names: tuple[dict[str, str], dict[str, str]]
    ) -> None:
        """Keep one count read with :meth:`_wanted`'s keys: a given or family name, or
        the total (the caller then clears the weights' cache)."""
        if kind == "given":
            self.given[names[0][stored]] = count
        elif kind == "family":
            self.family[names[1][stored]] = count
        else:
            self.__dict__["_total"] = count + self.__dict__["_register"]._state.delta

    def prefetch(
        self, connection: Connection, record: MatchRecord, blocks: Sequence[str] = ()
    ) -> dict[str, int]:
        """Read the counts a find of ``record`` needs (and the total), and the sizes of
        ``blocks`` (stored keys), in one query; returns the sizes of those that exist."""
        stored_given, stored_family, with_total = self._wanted(record)
        sizes: dict[str, int] = {}
        if not (stored_given or stored_family or with_total):
            if blocks:
                rows = connection.execute(_BLOCK_SIZES, {"keys": list(blocks)})
                sizes.update((key, int(count)) for key, count in rows)
            return sizes
        rows = connection.execute(
            _NAME_COUNTS,
            {
                "given": list(stored_given),
                "family": list(stored_family),
                "blocks": list(blocks),
                "with_total": with_total,
            },
        )
        names = (stored_given, stored_family)
        for kind, key, count in rows:
            if kind == "block":
                sizes[key] = int(count)
            elif kind != "total" or with_total:  # (an aggregate gives its row even so)
                self._counted(kind, key, int(count), names)
        self._cache.clear()
        return sizes

    def find_in_one(
        self, connection: Connection, record: MatchRecord, keys: dict[str, int]
    ) -> list[tuple[str, int, str]]:
        """The candidate rows (ULN, version, data) under ``keys`` (stored key: its block
        limit), in ULN order, with the counts a find of ``record`` needs, in one
        statement (:data:`_FIND_ONE`: PostgreSQL and SQLite)."""
        stored_given, stored_family, with_total = self._wanted(record)
        register = self.__dict__["_register"]
        lists: dict[str, list[Any]] = {
            "keys": list(keys),
            "limits": list(keys.values()),
            "given": list(stored_given),
            "family": list(stored_family),
        }
        dialect = register._dialect
        params: dict[str, Any] = (
            lists if dialect == "postgresql" else {k: json.dumps(v) for k, v in lists.items()}
        )
        params["with_total"] = with_total
        rows = register._driver(connection, _FIND_ONE[dialect], params)
        names = (stored_given, stored_family)
        found: list[tuple[str, int, str]] = []
        for kind, key, count, data in rows:
            if kind == 0:
                found.append((key, int(count), data))
            elif kind != 3 or with_total:
                self._counted(_COUNT_KINDS[kind], key, int(count), names)
        self._cache.clear()
        found.sort()
        return found


class _SqlCandidates:
    """A :class:`~uln.matching.CandidateSource` over the searchable learners in SQL.

    Name counts are read when first needed and kept for the life of the source (the
    service takes a new source for each find).
    """

    def __init__(self, register: SqlRegister) -> None:
        self._register = register
        self.frequencies: Final = _SqlFrequencies(register)

    def candidates(self, query: Any) -> list[tuple[Hashable, MatchRecord]]:
        return self._register._candidates(match_record(query), self.frequencies)
