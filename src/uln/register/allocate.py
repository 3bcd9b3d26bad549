"""Issuing ULNs: random numbers with their check digit, each issued once and for good.

A new ULN is a random nine-digit prefix (first digit not 0) followed by its check
digit; a prefix with no valid check digit is skipped (see the rules page, via
:func:`uln.checkdigit.generate`). The ULN is then reserved in the register's
allocation table (:meth:`~uln.register.base.Register.reserve_uln`), which refuses a
ULN that was ever reserved before, even by a transaction that rolled back or a
process that died: on such a collision another number is drawn.

>>> import random
>>> from uln import checkdigit
>>> from uln.register.memory import MemoryRegister
>>> store = MemoryRegister()
>>> allocator = UlnAllocator(random.Random(7))
>>> uln = allocator.allocate(store)
>>> checkdigit.is_valid(uln), store.is_reserved(uln)
(True, True)
"""

from __future__ import annotations

import random as _random
import threading
import weakref
from collections import deque
from typing import Final

from uln import checkdigit
from uln.errors import RegisterError
from uln.register.base import Register

__all__ = ["BLOCK", "MAX_ATTEMPTS", "UlnAllocator"]

BLOCK: Final = 32
"""ULNs reserved in one round trip by a store that can (the SQL register) [ours]: a
batch issuing 2,000 new ULNs makes 63 round trips rather than 2,000 (each a commit of
its own). Those left when the process ends are never issued (at most 31 numbers of
hundreds of millions)."""

MAX_ATTEMPTS: Final = 100
"""How many random ULNs are drawn before allocation gives up [ours]. With a register
holding a million learners a collision has odds of about 1 in 8,000 per draw, so a
hundred draws in a row never all collide unless the random source is broken."""


class _Pool:
    """The ULNs reserved in one store and not yet issued, and the next block's size."""

    def __init__(self) -> None:
        self.ulns: deque[str] = deque()
        self.size = 1


class UlnAllocator:
    """Draws random ULNs and reserves them in a register.

    Args:
        rng: the random source; by default the operating system's (numbers cannot be
            predicted). Pass a seeded :class:`random.Random` for reproducible tests.
        attempts: how many collisions in a row are tolerated (for a store that
            reserves by block: how many blocks in a row with no free ULN).
        block: ULNs drawn and reserved at once when the store can
            (:attr:`~uln.register.base.Register.claims_blocks`).
    """

    def __init__(
        self,
        rng: _random.Random | None = None,
        *,
        attempts: int = MAX_ATTEMPTS,
        block: int = BLOCK,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        if block < 1:
            raise ValueError("block must be at least 1")
        self._rng = rng
        self.attempts: Final = attempts
        self.block: Final = block
        self._lock = threading.Lock()
        # the ULNs reserved and not yet issued, by store (forgotten with the store)
        self._pools: weakref.WeakKeyDictionary[Register, _Pool] = weakref.WeakKeyDictionary()

    def __repr__(self) -> str:
        return f"UlnAllocator(attempts={self.attempts})"

    def allocate(self, store: Register) -> str:
        """Return a new ULN, reserved in ``store`` for good.

        A store that reserves ULNs a block at a time (its
        :attr:`~uln.register.base.Register.claims_blocks`, as the SQL register, one
        round trip for the block) is given a block of drawn ULNs
        at once: 1 the first time, then twice as many each time up to ``block`` (so
        no more are reserved than about twice those issued); the ones it reserved
        are kept here and issued in the order drawn, so a seeded allocator issues the
        same ULNs either way. A ULN reserved and never issued (the process ends
        first) is never issued at all.

        Raises:
            RegisterError: every ULN drawn was already reserved.

        >>> import random
        >>> from uln.register.memory import MemoryRegister
        >>> class Repeating(random.Random):  # a broken source: always the same number
        ...     def randrange(self, *args): return 334455668
        >>> store = MemoryRegister()
        >>> UlnAllocator(Repeating(), attempts=3).allocate(store)
        '3344556680'
        >>> UlnAllocator(Repeating(), attempts=3).allocate(store)
        Traceback (most recent call last):
            ...
        uln.errors.RegisterError: no free ULN found in 3 attempts
        """
        if not store.claims_blocks:
            for _ in range(self.attempts):
                uln = checkdigit.generate(self._rng)
                # a learner stored without a reservation (a store's own bulk path) is taken
                if store.reserve_uln(uln) and store.get(uln) is None:
                    return uln
            raise RegisterError(f"no free ULN found in {self.attempts} attempts")
        with self._lock:
            pool = self._pools.get(store)
            if pool is None:
                pool = self._pools[store] = _Pool()
            for _ in range(self.attempts):
                if not pool.ulns:
                    drawn = [checkdigit.generate(self._rng) for _ in range(pool.size)]
                    claimed = store.claim_ulns(drawn)
                    # a learner stored without a reservation is taken too
                    stored = store.get_many(claimed) if claimed else {}
                    pool.ulns.extend(uln for uln in claimed if uln not in stored)
                    if pool.ulns:  # the next block twice as big, up to `block`
                        pool.size = min(self.block, pool.size * 2)
                if pool.ulns:
                    return pool.ulns.popleft()
        raise RegisterError(f"no free ULN found in {self.attempts} attempts")
