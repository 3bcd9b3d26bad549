"""Organisations and their users, on behalf of someone (part of ``PlrService``).

The LRS sets up an organisation and its first super user; super users add and remove
their organisation's users, add super users and reset access keys. An organisation is
warned (:class:`~uln.errors.UlnWarning`) while it has fewer than three super users, and
its last super user cannot be removed.
"""

from __future__ import annotations

import warnings

import attrs

from uln.errors import IntegrityError, NotFound, UlnWarning
from uln.plr._core import (
    _UNKNOWN_ACTOR,
    CHANGED,
    RECOMMENDED_SUPER_USERS,
    UNCHANGED,
    Acting,
    PlrResult,
    ServiceCore,
    _refusal,
)
from uln.plr.access import Action, Actor, Decision, hash_secret, new_access_key
from uln.plr.records import Organisation, Role, User

__all__ = ["UserAdmin"]


class UserAdmin(ServiceCore):
    """The organisation and user operations of :class:`~uln.plr.service.PlrService`."""

    # -- organisations and users -------------------------------------------------------

    def add_organisation(
        self, actor: Actor, organisation: Organisation, *, super_user: str
    ) -> PlrResult:
        """Set up an organisation and its first super user (the LRS does this).

        Returns ``WSRC0006`` with the organisation, the super user and their access key
        (shown once). Warns (:class:`~uln.errors.UlnWarning`, and ``result.warnings``)
        that fewer than three super users are set up.

        Raises:
            IntegrityError: the UKPRN or the username is taken.
            ValidationError: the username is not valid (field ``Username``).
        """
        acting, decision = self._allowed(actor, Action.ADD_ORGANISATION)
        if acting is None or not decision:
            return _refusal(decision)
        key = new_access_key()
        user = User.create(
            id=super_user,
            organisation=organisation.ukprn,
            role=Role.SUPER_USER,
            secret_hash=hash_secret(key, cost=self._secret_cost),
        )
        with self._store.transaction():
            self._store.add_organisation(organisation)
            self._store.add_user(user)
            self._audit(acting, "organisation_add", detail=f"organisation {organisation.ukprn}")
            self._audit(acting, "user_add", detail=f"super user of {organisation.ukprn}")
        return PlrResult(
            CHANGED,
            organisation=organisation,
            user=user,
            access_key=key,
            warnings=self._super_user_warning(organisation.ukprn),
        )

    def _super_user_warning(self, ukprn: str) -> tuple[str, ...]:
        count = sum(1 for u in self._store.users(ukprn) if u.active and u.role is Role.SUPER_USER)
        if count >= RECOMMENDED_SUPER_USERS:
            return ()
        noun = "super user" if count == 1 else "super users"
        message = (
            f"organisation {ukprn} has {count} {noun}; "
            f"at least {RECOMMENDED_SUPER_USERS} are recommended"
        )
        warnings.warn(message, UlnWarning, stacklevel=3)
        return (message,)

    def _manage(self, actor: Actor, ukprn: str) -> tuple[Acting | None, Decision]:
        acting = self.acting(actor)
        if acting is None:
            return None, _UNKNOWN_ACTOR
        return acting, self.policy.manage_users(acting.party, acting.ukprn, ukprn)

    def add_user(
        self,
        actor: Actor,
        user_id: str,
        *,
        organisation: str | None = None,
        role: Role | str = Role.USER,
    ) -> PlrResult:
        """Add a user to an organisation (a super user adds to their own).

        ``organisation`` defaults to the acting user's. Returns ``WSRC0006`` with the
        user and their access key (shown once); warns while the organisation has fewer
        than three super users.

        Raises:
            IntegrityError: the username is taken.
            NotFound: the organisation is not known.
            ValidationError: the username or role is not valid.
        """
        acting, decision = self._allowed(actor, Action.MANAGE_USERS)
        if acting is None or not decision:
            return _refusal(decision)
        ukprn = organisation if organisation is not None else acting.ukprn
        key = new_access_key()
        user = User.create(
            id=user_id,
            organisation=ukprn if ukprn is not None else "",
            role=role,
            secret_hash=hash_secret(key, cost=self._secret_cost),
        )
        decision = self.policy.manage_users(acting.party, acting.ukprn, user.organisation)
        if not decision:
            return _refusal(decision)
        with self._store.transaction():
            if self._store.get_organisation(user.organisation) is None:
                raise NotFound("UKPRN: no organisation has this UKPRN")
            self._store.add_user(user)
            self._audit(acting, "user_add", detail=f"{user.role.value} of {user.organisation}")
        return PlrResult(
            CHANGED, user=user, access_key=key, warnings=self._super_user_warning(user.organisation)
        )

    def add_super_user(
        self, actor: Actor, user_id: str, *, organisation: str | None = None
    ) -> PlrResult:
        """Make a user a super user: promote an existing user of the organisation, or add
        a new one (with an access key). ``WSRC0020`` when they are one already."""
        existing = self._store.get_user(user_id) if isinstance(user_id, str) else None
        if existing is None or not existing.active:
            if existing is not None:
                acting, decision = self._manage(actor, existing.organisation)
                if acting is None or not decision:
                    return _refusal(decision)
                raise IntegrityError("Username: the user was removed; choose another username")
            return self.add_user(actor, user_id, organisation=organisation, role=Role.SUPER_USER)
        acting, decision = self._manage(actor, existing.organisation)
        if acting is None or not decision:
            return _refusal(decision)
        if existing.role is Role.SUPER_USER:
            return PlrResult(
                UNCHANGED, user=existing, warnings=self._super_user_warning(existing.organisation)
            )
        promoted = attrs.evolve(existing, role=Role.SUPER_USER)
        with self._store.transaction():
            self._store.update_user(promoted)
            self._audit(acting, "user_promote", detail=f"super user of {existing.organisation}")
        return PlrResult(
            CHANGED, user=promoted, warnings=self._super_user_warning(existing.organisation)
        )

    def _target(self, actor: Actor, user_id: str) -> tuple[Acting, User] | PlrResult:
        """Who acts on which user, or the refusal; an unknown user is an error only for
        a party that may manage users at all."""
        acting, decision = self._allowed(actor, Action.MANAGE_USERS)
        if acting is None or not decision:
            return _refusal(decision)
        user = self._store.get_user(user_id) if isinstance(user_id, str) else None
        if user is None or not user.active:
            raise NotFound("Username: no active user has this id")
        decision = self.policy.manage_users(acting.party, acting.ukprn, user.organisation)
        if not decision:
            return _refusal(decision)
        return acting, user

    def remove_user(self, actor: Actor, user_id: str) -> PlrResult:
        """Remove a user: they can no longer act or sign in (kept for the audit).

        Raises:
            IntegrityError: the user is their organisation's last super user.
            NotFound: no active user has this id.
        """
        target = self._target(actor, user_id)
        if isinstance(target, PlrResult):
            return target
        acting, user = target
        with self._store.transaction():
            if user.role is Role.SUPER_USER:
                supers = [
                    u
                    for u in self._store.users(user.organisation)
                    if u.active and u.role is Role.SUPER_USER
                ]
                if len(supers) <= 1:
                    raise IntegrityError("an organisation's last super user cannot be removed")
            removed = attrs.evolve(user, active=False, secret_hash=None)
            self._store.update_user(removed)
            self._audit(acting, "user_remove", detail=f"{user.role.value} of {user.organisation}")
        return PlrResult(
            CHANGED, user=removed, warnings=self._super_user_warning(user.organisation)
        )

    def reset_access(self, actor: Actor, user_id: str) -> PlrResult:
        """Give a user a new access key (the old one stops working); shown once.

        Raises:
            NotFound: no active user has this id.
        """
        target = self._target(actor, user_id)
        if isinstance(target, PlrResult):
            return target
        acting, user = target
        key = new_access_key()
        changed = attrs.evolve(user, secret_hash=hash_secret(key, cost=self._secret_cost))
        with self._store.transaction():
            self._store.update_user(changed)
            self._audit(acting, "user_reset", detail=f"access of a user of {user.organisation}")
        return PlrResult(CHANGED, user=changed, access_key=key)
