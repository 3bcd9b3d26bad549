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
from typing import Final

from uln import checkdigit
from uln.errors import RegisterError
from uln.register.base import Register

__all__ = ["MAX_ATTEMPTS", "UlnAllocator"]

MAX_ATTEMPTS: Final = 100
"""How many random ULNs are drawn before allocation gives up [ours]. With a register
holding a million learners a collision has odds of about 1 in 8,000 per draw, so a
hundred draws in a row never all collide unless the random source is broken."""


class UlnAllocator:
    """Draws random ULNs and reserves them in a register.

    Args:
        rng: the random source; by default the operating system's (numbers cannot be
            predicted). Pass a seeded :class:`random.Random` for reproducible tests.
        attempts: how many collisions in a row are tolerated.
    """

    def __init__(self, rng: _random.Random | None = None, *, attempts: int = MAX_ATTEMPTS) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self._rng = rng
        self.attempts: Final = attempts

    def __repr__(self) -> str:
        return f"UlnAllocator(attempts={self.attempts})"

    def allocate(self, store: Register) -> str:
        """Return a new ULN, reserved in ``store`` for good.

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
        for _ in range(self.attempts):
            uln = checkdigit.generate(self._rng)
            # a learner stored without a reservation (a store's own bulk path) is taken too
            if store.reserve_uln(uln) and store.get(uln) is None:
                return uln
        raise RegisterError(f"no free ULN found in {self.attempts} attempts")
