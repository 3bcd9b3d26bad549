"""Who may do what with the register and the Personal Learning Record: one table, one policy.

Every operation of :class:`uln.plr.service.PlrService` names the acting party, and
:class:`AccessPolicy` decides. The parties are the LRS itself (it sets up
organisations), the users of a learner registration body (LRB), of an awarding
organisation (AO) or of another organisation (an employer, a careers adviser), each a
super user or a plain user, and the learner themselves.

The table :data:`PERMISSIONS` says which party may attempt which action; the policy
then adds the conditions that depend on the record [spec unless marked]:

- an LRB registers, finds and updates learners (identity verification, privacy
  notice seen, links and exceptions included) and verifies ULNs;
- an AO verifies ULNs and uploads achievements **for its own qualifications only**
  (events whose awarding organisation UKPRN is its own), and clears a data challenge
  on them [ours];
- super users manage the users of their own organisation; the LRS adds organisations;
- a learner reads their own full PLR only when **16 or over and identity verified**,
  nominates and withdraws organisations, and raises a data challenge [ours: an LRB may
  raise one on the events it provided];
- an organisation the learner nominated (of any kind) reads the **restricted** view
  (basic details and only the events the learner chose), or the full view if
  nominated for it; an employer or careers adviser does nothing else [ours];
- nobody else reads a PLR: ``WSEC0006`` (insufficient access);
- a learner who opted out of sharing (``AbilityToShare`` 2) is not shared with anyone
  but themselves: ``WSEC0206``, never data. The opt-out wins over a nomination [ours].

>>> policy = AccessPolicy()
>>> policy.allows(Party.AO_USER, Action.ADD_EVENT), policy.allows(Party.LRB_USER, Action.ADD_EVENT)
(True, False)
>>> policy.allows(Party.LEARNER, Action.REGISTER)
False

Secrets (the access keys of users) are kept only as scrypt hashes:

>>> stored = hash_secret("correct horse battery staple", cost=2**10)
>>> stored.startswith("scrypt$n=1024,r=8,p=1$")
True
>>> check_secret("correct horse battery staple", stored), check_secret("guess", stored)
(True, False)
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import enum
import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

import attrs

from uln import checkdigit
from uln.enums import AbilityToShare, VerificationType
from uln.errors import IntegrityError, InvalidFormat, RegisterError
from uln.learner import Learner
from uln.plr.records import (
    LearningEvent,
    NominationView,
    Organisation,
    OrganisationKind,
    Role,
    User,
)

__all__ = [
    "ADULT_AGE",
    "LRS",
    "PERMISSIONS",
    "AccessDenied",
    "AccessPolicy",
    "Action",
    "Actor",
    "AsLearner",
    "AsLrs",
    "Decision",
    "Party",
    "check_secret",
    "hash_secret",
    "identity_verified",
    "new_access_key",
    "party_of",
]

INSUFFICIENT_ACCESS: Final = "WSEC0006"
NOT_SHARED: Final = "WSEC0206"

ADULT_AGE: Final = 16
"""A learner sees their own PLR from this age, once their identity is verified [spec]."""


class Party(enum.Enum):
    """Who is acting: the kind of user, or the learner, or the LRS itself."""

    LRS = "lrs"
    """The service running the register (the LRS): it sets up organisations."""
    LRB_SUPER_USER = "lrb_super_user"
    LRB_USER = "lrb_user"
    AO_SUPER_USER = "ao_super_user"
    AO_USER = "ao_user"
    OTHER_SUPER_USER = "other_super_user"
    """A super user of an organisation that neither registers nor awards (an employer,
    a careers adviser): it reads only what learners share with it."""
    OTHER_USER = "other_user"
    LEARNER = "learner"
    """The learner, acting on their own record."""


class Action(enum.Enum):
    """What a party asks to do."""

    ADD_ORGANISATION = "add_organisation"
    MANAGE_USERS = "manage_users"
    """Add and remove users, add super users, reset access (own organisation only)."""
    REGISTER = "register"
    """Register or load learners, resolve exceptions."""
    FIND = "find"
    """Find by ULN or by demographics, read a learner's details."""
    UPDATE = "update"
    """Change a learner's details: identity verification, privacy notice, links."""
    VERIFY = "verify"
    """Check a ULN someone supplied (no details returned)."""
    ADD_EVENT = "add_event"
    """Upload achievements (own qualifications only)."""
    RAISE_CHALLENGE = "raise_challenge"
    CLEAR_CHALLENGE = "clear_challenge"
    """Clear a data challenge (on the organisation's own qualifications only)."""
    NOMINATE = "nominate"
    """Nominate or withdraw an organisation (the learner's own record only)."""
    READ_PLR = "read_plr"
    """Read a Personal Learning Record (entitlement checked per learner)."""
    READ_AUDIT = "read_audit"
    """Read the audit history (an organisation's own actions only)."""


def _checked_uln(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidFormat("a ULN is text", field="ULN")
    return checkdigit.validate(value)


@attrs.frozen
class AsLearner:
    """The learner themselves, acting on their own record (named by their ULN).

    How the embedding service authenticates the learner is its business; this value
    says only who acts.

    >>> AsLearner("3344556680")
    AsLearner(uln='3344556680')
    """

    uln: str = attrs.field(converter=_checked_uln)


@attrs.frozen
class AsLrs:
    """The service running the register (the LRS), which sets up organisations."""


LRS: Final = AsLrs()
"""The LRS acting (adds organisations and their first super user)."""

Actor = User | AsLearner | AsLrs
"""Whoever acts: a :class:`~uln.plr.User` of an organisation, the learner, or the LRS."""


def party_of(actor: Actor, organisation: Organisation | None = None) -> Party:
    """The party an actor acts as: a user's by their role and their organisation's kind.

    Raises:
        IntegrityError: ``actor`` is a user and ``organisation`` is not theirs.

    >>> from uln.plr import Organisation, User
    >>> college = Organisation.create(ukprn="10012345", name="Coleg Gwent", kind="lrb")
    >>> party_of(User.create(id="sam", organisation="10012345"), college)
    <Party.LRB_USER: 'lrb_user'>
    >>> party_of(AsLearner("3344556680"))
    <Party.LEARNER: 'learner'>
    """
    if isinstance(actor, AsLearner):
        return Party.LEARNER
    if isinstance(actor, AsLrs):
        return Party.LRS
    if organisation is None or organisation.ukprn != actor.organisation:
        raise IntegrityError("a user acts for their own organisation")
    parties = _PARTIES.get(organisation.kind, (Party.OTHER_SUPER_USER, Party.OTHER_USER))
    return parties[0] if actor.role is Role.SUPER_USER else parties[1]


_PARTIES: Final[Mapping[OrganisationKind, tuple[Party, Party]]] = MappingProxyType(
    {
        OrganisationKind.LEARNER_REGISTRATION_BODY: (Party.LRB_SUPER_USER, Party.LRB_USER),
        OrganisationKind.AWARDING_ORGANISATION: (Party.AO_SUPER_USER, Party.AO_USER),
    }
)
"""The parties (super user, user) of each kind of organisation; any other kind (an
employer, a careers adviser) is :attr:`Party.OTHER_SUPER_USER` or ``OTHER_USER``."""


_LRB: Final = frozenset({Party.LRB_SUPER_USER, Party.LRB_USER})
_AO: Final = frozenset({Party.AO_SUPER_USER, Party.AO_USER})
_OTHER: Final = frozenset({Party.OTHER_SUPER_USER, Party.OTHER_USER})
_SUPER: Final = frozenset({Party.LRB_SUPER_USER, Party.AO_SUPER_USER, Party.OTHER_SUPER_USER})

PERMISSIONS: Final[Mapping[Action, frozenset[Party]]] = MappingProxyType(
    {
        Action.ADD_ORGANISATION: frozenset({Party.LRS}),
        Action.MANAGE_USERS: frozenset({Party.LRS}) | _SUPER,
        Action.REGISTER: _LRB,
        Action.FIND: _LRB,
        Action.UPDATE: _LRB,
        Action.VERIFY: _LRB | _AO,
        Action.ADD_EVENT: _AO,
        Action.RAISE_CHALLENGE: _LRB | {Party.LEARNER},  # [ours]: the LRB may raise one
        Action.CLEAR_CHALLENGE: _AO,  # [ours]: the awarding organisation decides
        Action.NOMINATE: frozenset({Party.LEARNER}),
        Action.READ_PLR: _LRB | _AO | _OTHER | {Party.LEARNER},  # and only when entitled (below)
        Action.READ_AUDIT: frozenset({Party.LRS, Party.LEARNER}) | _SUPER,  # [ours]
    }
)
"""Which parties may attempt each action [spec unless the line says ours]; the
conditions on the record (own organisation, own qualifications, nomination, age,
identity, sharing) are checked by :class:`AccessPolicy`. Correct a rule here."""


@attrs.frozen
class Decision:
    """What the policy decided: allowed (with a scope, for a PLR read) or refused.

    ``code`` is ``WSEC0006`` (insufficient access) or ``WSEC0206`` (the learner has
    not agreed to share) when refused; ``reason`` says which rule refused, without any
    learner's details.
    """

    allowed: bool
    code: str | None = None
    scope: NominationView | None = None
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


_ALLOWED: Final = Decision(True)


def _refused(reason: str, code: str = INSUFFICIENT_ACCESS) -> Decision:
    return Decision(False, code, reason=reason)


class AccessDenied(RegisterError):
    """A request was refused by the access policy; ``code`` is the LRS code.

    The service returns refusals as results (``result.code == "WSEC0006"``); call
    :meth:`uln.plr.service.PlrResult.raise_for_refusal` to get this error instead.
    """

    def __init__(self, code: str, reason: str) -> None:
        self.code = code
        self.reason = reason
        super().__init__(f"{code}: {reason}")


def identity_verified(learner: Learner) -> bool:
    """Whether the learner's identity was checked: any ``VerificationType`` but 0 (none).

    [ours] A relationship with a school (1) counts as verified; no type recorded does
    not.

    >>> from uln.enums import VerificationType
    >>> identity_verified(Learner(verification_type=VerificationType.PASSPORT))
    True
    >>> identity_verified(Learner(verification_type=VerificationType.NONE))
    False
    """
    kind = learner.verification_type
    return kind is not None and kind is not VerificationType.NONE


def _age(born: _dt.date, today: _dt.date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


class AccessPolicy:
    """Decides every request from :data:`PERMISSIONS` and the rules on the record.

    Args:
        permissions: the table (change it to change who may do what).
        adult_age: the age from which a learner reads their own PLR.
    """

    def __init__(
        self,
        permissions: Mapping[Action, frozenset[Party]] = PERMISSIONS,
        *,
        adult_age: int = ADULT_AGE,
    ) -> None:
        self.permissions: Final = permissions
        self.adult_age: Final = adult_age

    def allows(self, party: Party, action: Action) -> bool:
        """Whether the table lets ``party`` attempt ``action`` at all."""
        return party in self.permissions.get(action, frozenset())

    def check(self, party: Party, action: Action) -> Decision:
        """The table's decision for ``party`` and ``action`` (``WSEC0006`` if refused)."""
        if self.allows(party, action):
            return _ALLOWED
        return _refused(f"a {party.value} may not {action.value.replace('_', ' ')}")

    def manage_users(self, party: Party, actor_ukprn: str | None, ukprn: str) -> Decision:
        """May this party manage the users of organisation ``ukprn``? Super users manage
        their own organisation only; the LRS any."""
        decision = self.check(party, Action.MANAGE_USERS)
        if decision and party is not Party.LRS and actor_ukprn != ukprn:
            return _refused("super users manage their own organisation only")
        return decision

    def read_audit(
        self,
        party: Party,
        *,
        actor_ukprn: str | None = None,
        actor_uln: str | None = None,
        organisation: str | None = None,
        uln: str | None = None,
    ) -> Decision:
        """May this party read the audit history asked for?

        The LRS reads all of it; a super user reads their own organisation's actions
        (``organisation`` must be theirs); a learner reads who read or changed their own
        record (``uln`` must be theirs, already resolved to the master) [ours].
        """
        decision = self.check(party, Action.READ_AUDIT)
        if not decision or party is Party.LRS:
            return decision
        if party is Party.LEARNER:
            if uln is None or uln != actor_uln:
                return _refused("a learner reads the audit of their own record only")
            return decision
        if organisation is None or organisation != actor_ukprn:
            return _refused("an organisation reads its own audit only")
        return decision

    def own_qualification(
        self, party: Party, action: Action, actor_ukprn: str | None, awarding_ukprn: str
    ) -> Decision:
        """May this party add (or clear a challenge on) an event awarded by
        ``awarding_ukprn``? Only for its own qualifications."""
        decision = self.check(party, action)
        if decision and actor_ukprn != awarding_ukprn:
            return _refused("an awarding organisation handles its own qualifications only")
        return decision

    def own_record(self, party: Party, action: Action, actor_uln: str | None, uln: str) -> Decision:
        """May this party act on learner ``uln``'s own record (nominate, challenge)?"""
        decision = self.check(party, action)
        if decision and party is Party.LEARNER and actor_uln != uln:
            return _refused("a learner acts on their own record only")
        return decision

    def challenge(
        self,
        party: Party,
        action: Action,
        event: LearningEvent,
        *,
        owner_uln: str,
        actor_ukprn: str | None = None,
        actor_uln: str | None = None,
    ) -> Decision:
        """May this party raise (or clear) a data challenge on ``event``?

        The learner raises one on their own events (``owner_uln`` is the master ULN the
        event belongs to, ``actor_uln`` the learner's, resolved likewise); an LRB on the
        events it provided; the awarding organisation clears one on its own
        qualifications [ours].
        """
        decision = self.check(party, action)
        if not decision:
            return decision
        if party is Party.LEARNER:
            return self.own_record(party, action, actor_uln, owner_uln)
        if action is Action.CLEAR_CHALLENGE:
            return self.own_qualification(party, action, actor_ukprn, event.awarding_ukprn)
        if actor_ukprn != event.provider_ukprn:
            return _refused("an organisation challenges the events it provided only")
        return decision

    def read_plr(
        self,
        party: Party,
        learner: Learner,
        *,
        today: _dt.date,
        actor_uln: str | None = None,
        nominated: NominationView | None = None,
    ) -> Decision:
        """May this party read ``learner``'s PLR, and how much of it?

        Args:
            party: who asks.
            learner: the learner's (master) record.
            today: the date the age is reckoned on.
            actor_uln: the ULN of the learner asking (for :attr:`Party.LEARNER`); a
                linked ULN of the same person is resolved to the master by the caller.
            nominated: what the asking organisation was nominated for, if it was.

        Returns:
            allowed with the scope :attr:`NominationView.FULL` or ``RESTRICTED``;
            refused with ``WSEC0006`` (not entitled) or ``WSEC0206`` (the learner opted out). The
            entitlement is checked first, so a refusal tells nobody unentitled whether
            the learner opted out.
        """
        decision = self.check(party, Action.READ_PLR)
        if not decision:
            return decision
        if party is Party.LEARNER:
            if actor_uln is None or actor_uln != learner.uln:
                return _refused("a learner reads their own record only")
            born = learner.demographics.date_of_birth
            if born is None or _age(born, today) < self.adult_age:
                return _refused(f"a learner reads their own record from age {self.adult_age}")
            if not identity_verified(learner):
                return _refused("a learner reads their own record once their identity is verified")
            return Decision(True, scope=NominationView.FULL)
        if nominated is None:
            return _refused("the learner did not nominate this organisation")
        if learner.ability_to_share is AbilityToShare.SEEN_MAY_NOT_SHARE:
            return _refused("the learner has not agreed to share", NOT_SHARED)
        return Decision(True, scope=nominated)


# -- secrets ---------------------------------------------------------------------------

_SCRYPT_COST: Final = 2**14
"""scrypt's CPU/memory cost ``n`` for new hashes (16 MiB with ``r=8``) [ours]."""
_SCRYPT_R: Final = 8
_SCRYPT_P: Final = 1
_SALT_BYTES: Final = 16
_KEY_BYTES: Final = 32
_HASH_PATTERN: Final = re.compile(
    r"scrypt\$n=([0-9]{1,8}),r=([0-9]{1,3}),p=([0-9]{1,3})\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)"
)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _scrypt(secret: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(
        secret.encode("utf-8"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        dklen=length,
        maxmem=2 * 128 * r * (n + p + 2),
    )


def hash_secret(secret: str, *, cost: int = _SCRYPT_COST) -> str:
    """Hash a secret (a password or access key) with scrypt and a random salt.

    The result describes itself: ``scrypt$n=16384,r=8,p=1$<salt>$<hash>`` (base64), so
    :func:`check_secret` needs nothing else and a later cost can be read alongside old
    hashes. ``cost`` (scrypt's ``n``, a power of two) is lowered only in tests.

    Raises:
        ValueError: ``secret`` is empty or ``cost`` is not a power of two above 1.
    """
    if not isinstance(secret, str) or not secret:
        raise ValueError("a secret must be a non-empty string")
    if cost < 2 or cost & (cost - 1):
        raise ValueError("the scrypt cost must be a power of two above 1")
    salt = secrets.token_bytes(_SALT_BYTES)
    key = _scrypt(secret, salt, cost, _SCRYPT_R, _SCRYPT_P, _KEY_BYTES)
    return f"scrypt$n={cost},r={_SCRYPT_R},p={_SCRYPT_P}${_b64(salt)}${_b64(key)}"


def check_secret(secret: str, stored: str) -> bool:
    """Whether ``secret`` is the one ``stored`` (a :func:`hash_secret` string) was made
    from; compared in constant time. A malformed ``stored`` value never matches."""
    found = _HASH_PATTERN.fullmatch(stored) if isinstance(stored, str) else None
    if found is None or not isinstance(secret, str):
        return False
    n, r, p = (int(found.group(i)) for i in (1, 2, 3))
    if n < 2 or n & (n - 1) or n > 2**20 or not 1 <= r <= 32 or not 1 <= p <= 16:
        return False
    try:
        salt = base64.b64decode(found.group(4), validate=True)
        expected = base64.b64decode(found.group(5), validate=True)
    except (binascii.Error, ValueError):
        return False
    if not expected:
        return False
    actual = _scrypt(secret, salt, n, r, p, len(expected))
    return hmac.compare_digest(actual, expected)


def new_access_key() -> str:
    """A new random access key for a user (shown once; only its hash is stored)."""
    return secrets.token_urlsafe(24)
