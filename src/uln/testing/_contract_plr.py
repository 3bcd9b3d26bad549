"""The learning-records part of the register contract (:class:`PLRContract`).

Mixed into :class:`uln.testing.contract.RegisterContract`, so every backend that runs
the contract also proves it stores learning events, organisations, users and
nominations as :class:`uln.register.Register` promises: stored whole, listed in order,
refused on a duplicate key with nothing changed, undone by a rolled-back transaction.
"""

from __future__ import annotations

import datetime as _dt
import random
import uuid
from collections.abc import Callable
from typing import Any, ClassVar, Final

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from uln import checkdigit
from uln.errors import IntegrityError, InvalidArgument, NotFound
from uln.plr.records import (
    EventStatus,
    LearningEvent,
    Level,
    Nomination,
    NominationView,
    Organisation,
    OrganisationKind,
    Role,
    User,
)
from uln.register.allocate import UlnAllocator
from uln.register.base import Register
from uln.register.service import LearnerRegister

__all__ = [
    "PLRContract",
    "PLRStateMachine",
    "learning_events",
    "make_event",
    "plr_state_machine_test",
]

_WHEN: Final = _dt.datetime(2025, 1, 6, 9, 0, tzinfo=_dt.UTC)
_LRB: Final = "10012345"
_AO: Final = "10054321"
_A, _B, _C = "3344556680", "4444599390", "1000000043"


def make_event(uln: str = _A, event_id: str | None = None, **more: Any) -> LearningEvent:
    """A valid learning event for ``uln`` (fields overridable by keyword)."""
    fields: dict[str, Any] = {
        "uln": uln,
        "provider_ukprn": _LRB,
        "provider_name": "Coleg Gwent",
        "awarding_ukprn": _AO,
        "awarding_name": "WJEC",
        "qualification_type": "QCF unit",
        "subject_code": "K/501/5773",
        "subject": "Using e-mail",
        "award_date": "2024-07-19",
        "credits": 3,
        "level": "Entry 3",
        "grade": "Pass",
        "status": "final",
        "source": "AO",
        "loaded": "2024-08-01",
        "id": event_id or uuid.uuid4().hex,
    }
    fields.update(more)
    return LearningEvent.create(**fields)


_text = st.text(
    st.characters(codec="utf-8", exclude_categories=("C", "Zs", "Zl", "Zp")), min_size=1
)


@st.composite
def learning_events(draw: st.DrawFn, uln: str | None = None) -> LearningEvent:
    """Any valid learning event: odd but allowed text, every level, status and date.

    Text is drawn without spaces at its ends and without control characters, and
    events whose free text happens to hold a prohibited phrase are left out.
    """
    from uln.plr.prohibited import find_prohibited

    def free(max_size: int) -> str:
        text = draw(_text.filter(lambda s: len(s) <= max_size))
        return text if find_prohibited(text) is None else "Pass"

    award = draw(st.dates(_dt.date(1990, 1, 1), _dt.date(2030, 12, 31)))
    letter = draw(st.sampled_from("ABCDFHJKLMRTY"))
    code = draw(
        st.sampled_from(
            [
                f"{letter}/{draw(st.integers(100, 999))}/{draw(st.integers(1000, 9999))}",
                f"{draw(st.integers(100, 999))}/{draw(st.integers(1000, 9999))}/{letter}",
                f"{draw(st.integers(10_000_000, 99_999_999))}",
            ]
        )
    )
    return LearningEvent(
        id=uuid.UUID(int=draw(st.integers(0, 2**128 - 1))).hex,
        uln=uln or checkdigit.generate(random.Random(draw(st.integers(0, 2**32)))),
        provider_ukprn=str(draw(st.integers(10_000_000, 99_999_999))),
        provider_name=free(255),
        awarding_ukprn=draw(st.sampled_from([_AO, "TEST0038"])),
        awarding_name=free(255),
        qualification_type=free(100),
        subject_code=code,
        subject=free(255),
        award_date=award,
        credits=draw(st.integers(0, 2**31 - 1)),
        level=draw(st.sampled_from(Level)),
        grade=draw(st.sampled_from(["", "A*", "Merit", "Dan' OR 'x' --"])),
        status=draw(st.sampled_from(EventStatus)),
        source=draw(st.sampled_from(["AO", "ILR", "LRS_UPLOAD"])),
        loaded=award + _dt.timedelta(days=draw(st.integers(0, 400))),
        under_challenge=draw(st.booleans()),
        restriction=draw(st.sampled_from(["", "Do not share before results day"])),
    )


class PLRContract:
    """The storage promises for learning records; part of ``RegisterContract``.

    Needs the ``store`` fixture of the contract (a fresh, empty register per test).
    """

    # -- learning events ---------------------------------------------------------------

    def test_no_learning_records_in_an_empty_register(self, store: Register) -> None:
        assert store.events(_A) == []
        assert store.events_for([_A, _B]) == []
        assert store.get_event("EV1") is None
        assert store.organisations() == []
        assert store.get_organisation(_LRB) is None
        assert store.users(_LRB) == []
        assert store.get_user("jo") is None
        assert store.nominations(_A, include_withdrawn=True) == []

    def test_an_event_is_stored_whole(self, store: Register) -> None:
        event = make_event(
            event_id="EV-1",
            subject="Cymraeg: Siân's \"llythrennedd\" ' OR 1=1 --",
            grade="Teilyngdod",
            under_challenge=True,
            restriction="Embargoed until results day",
            status="provisional",
            level="8",
            credits=0,
        )
        store.add_event(event)
        assert store.get_event("EV-1") == event
        assert store.events(_A) == [event]
        assert store.events(_B) == []

    def test_events_are_listed_by_award_date_then_id(self, store: Register) -> None:
        late = make_event(event_id="A-late", award_date="2024-06-01")
        early_b = make_event(event_id="B-early", award_date="2023-06-01")
        early_a = make_event(event_id="A-early", award_date="2023-06-01")
        other = make_event(_B, event_id="C-other", award_date="2020-01-01")
        for event in (late, early_b, other, early_a):
            store.add_event(event)
        assert store.events(_A) == [early_a, early_b, late]
        assert store.events_for([_B, _A, _A]) == [other, early_a, early_b, late]
        assert store.events_for([]) == []
        with pytest.raises(InvalidArgument):
            store.events_for(_A)  # one ULN, not a list of them

    def test_an_event_id_is_unique(self, store: Register) -> None:
        first = make_event(event_id="EV1")
        store.add_event(first)
        with pytest.raises(IntegrityError):
            store.add_event(make_event(_B, event_id="EV1", subject="Something else"))
        assert store.get_event("EV1") == first
        assert store.events(_B) == []

    def test_events_in_bulk_are_all_or_nothing(self, store: Register) -> None:
        events = [make_event(event_id=f"BULK-{i:04d}", credits=i % 40) for i in range(1_200)]
        assert store.add_events(events) == 1_200
        assert store.add_events([]) == 0
        assert len(store.events(_A)) == 1_200
        assert {e.id for e in store.events(_A)} == {e.id for e in events}
        # one stored id anywhere in a batch: nothing of the batch is kept
        fresh = [make_event(_B, event_id=f"NEW-{i}") for i in range(5)]
        with pytest.raises(IntegrityError):
            store.add_events([*fresh, make_event(_B, event_id="BULK-0007")])
        assert store.events(_B) == []
        # an id repeated inside the batch is refused as well
        with pytest.raises(IntegrityError):
            store.add_events([fresh[0], fresh[0]])
        assert store.events(_B) == []

    def test_a_refused_bulk_leaves_the_transaction_usable(self, store: Register) -> None:
        store.add_event(make_event(event_id="EV1"))
        with store.transaction():
            store.add_event(make_event(_B, event_id="EV2"))
            with pytest.raises(IntegrityError):
                store.add_events([make_event(_B, event_id="EV3"), make_event(event_id="EV1")])
            store.add_event(make_event(_B, event_id="EV4"))
        assert [e.id for e in store.events(_B)] == ["EV2", "EV4"]

    def test_a_data_challenge_is_raised_and_cleared(self, store: Register) -> None:
        event = make_event(event_id="EV1")
        store.add_events([event, make_event(event_id="EV2")])
        raised = store.set_challenge("EV1", True)
        assert raised == attrs.evolve(event, under_challenge=True)
        assert store.get_event("EV1") == raised
        assert store.set_challenge("EV1", True) == raised  # raising twice changes nothing
        assert store.get_event("EV2") is not None
        assert not store.get_event("EV2").under_challenge  # type: ignore[union-attr]
        assert store.set_challenge("EV1", False) == event
        assert store.events(_A)[0] == event
        with pytest.raises(NotFound):
            store.set_challenge("nope", True)

    def test_a_rolled_back_transaction_keeps_no_learning_record(self, store: Register) -> None:
        store.add_event(make_event(event_id="EV1"))
        store.add_organisation(Organisation.create(ukprn=_LRB, name="Coleg", kind="lrb"))
        store.add_user(User.create(id="jo", organisation=_LRB))
        with pytest.raises(ZeroDivisionError), store.transaction():  # noqa: PT012
            store.add_event(make_event(event_id="EV2"))
            store.add_events([make_event(_B, event_id="EV3")])
            store.set_challenge("EV1", True)
            store.add_organisation(Organisation.create(ukprn=_AO, name="WJEC", kind="ao"))
            store.add_user(User.create(id="sam", organisation=_LRB))
            store.update_user(User.create(id="jo", organisation=_LRB, active=False))
            store.add_nomination(_nomination())
            1 / 0  # noqa: B018
        assert [e.id for e in store.events_for([_A, _B])] == ["EV1"]
        assert not store.get_event("EV1").under_challenge  # type: ignore[union-attr]
        assert [o.ukprn for o in store.organisations()] == [_LRB]
        assert store.users(_LRB) == [User.create(id="jo", organisation=_LRB)]
        assert store.nominations(_A) == []

    def test_linking_merges_two_records_into_one_plr(self, store: Register) -> None:
        service = LearnerRegister(
            store, clock=lambda: _WHEN, allocator=UlnAllocator(random.Random(7))
        )
        ulns = []
        for first, family, dob in (("Megan", "Lee", "2007-05-06"), ("Huw", "Pugh", "2004-02-01")):
            result = service.register_learner(
                {
                    "GivenName": first,
                    "FamilyName": family,
                    "DateOfBirth": dob,
                    "Gender": "2",
                    "LastKnownPostCode": "LS6 3QE",
                },
                organisation=_LRB,
            )
            assert result.uln is not None
            ulns.append(result.uln)
        master, other = ulns
        on_master = make_event(master, event_id="M1", award_date="2022-01-01")
        on_other = make_event(other, event_id="O1", award_date="2021-01-01")
        store.add_events([on_master, on_other])

        def plr(uln: str) -> list[LearningEvent]:
            return store.events_for([uln, *store.linked_to(uln)])

        assert plr(master) == [on_master]
        service.link(master, other, organisation=_LRB)
        assert plr(master) == [on_other, on_master]  # one record, nothing moved
        assert store.events(other) == [on_other]
        service.unlink(other, organisation=_LRB)
        assert plr(master) == [on_master]
        assert plr(other) == [on_other]

    @settings(
        max_examples=15,
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.differing_executors,
            HealthCheck.too_slow,
        ],
    )
    @given(event=learning_events())
    def test_any_valid_event_round_trips(self, store: Register, event: LearningEvent) -> None:
        event = attrs.evolve(event, id=uuid.uuid4().hex)  # the store outlives an example
        store.add_event(event)
        assert store.get_event(event.id) == event
        assert event in store.events(event.uln)

    # -- organisations and users -------------------------------------------------------

    def test_organisations_are_stored_by_ukprn(self, store: Register) -> None:
        lrb = Organisation.create(ukprn=_LRB, name="Coleg Gwent", kind="lrb")
        ao = Organisation.create(ukprn=_AO, name="WJEC' --", kind="ao")
        test = Organisation.create(ukprn="TEST0038", name="Test", kind="lrb")
        employer = Organisation.create(ukprn="10000001", name="Acme Ltd", kind="other")
        for organisation in (test, employer, lrb, ao):
            store.add_organisation(organisation)
        assert store.organisations() == [employer, lrb, ao, test]
        assert store.get_organisation("10000001") == employer
        assert store.get_organisation(_AO) == ao
        assert ao.kind is OrganisationKind.AWARDING_ORGANISATION
        with pytest.raises(IntegrityError):
            store.add_organisation(Organisation.create(ukprn=_LRB, name="Other", kind="ao"))
        assert store.get_organisation(_LRB) == lrb

    def test_users_are_added_read_updated_and_listed(self, store: Register) -> None:
        store.add_organisation(Organisation.create(ukprn=_LRB, name="Coleg", kind="lrb"))
        store.add_organisation(Organisation.create(ukprn=_AO, name="WJEC", kind="ao"))
        jo = User.create(id="jo", organisation=_LRB, role="super_user", secret_hash="scrypt$ab")  # noqa: S106
        al = User.create(id="al@coleg.example", organisation=_LRB)
        ao_user = User.create(id="zed", organisation=_AO)
        for user in (jo, ao_user, al):
            store.add_user(user)
        assert store.users(_LRB) == [al, jo]
        assert store.users(_AO) == [ao_user]
        assert store.get_user("jo") == jo
        assert store.get_user("al@coleg.example") == al
        assert al.secret_hash is None
        with pytest.raises(IntegrityError):
            store.add_user(User.create(id="jo", organisation=_AO))
        with pytest.raises(NotFound):
            store.add_user(User.create(id="new", organisation="10000002"))
        removed = attrs.evolve(jo, role=Role.USER, active=False, secret_hash=None)
        store.update_user(removed)
        assert store.get_user("jo") == removed
        assert store.users(_LRB) == [al, removed]  # a removed user stays listed
        with pytest.raises(NotFound):
            store.update_user(User.create(id="ghost", organisation=_LRB))
        with pytest.raises(IntegrityError):
            store.update_user(attrs.evolve(al, organisation=_AO))
        assert store.get_user("al@coleg.example") == al

    # -- nominations ---------------------------------------------------------------------

    def test_nominations_are_added_withdrawn_and_listed(self, store: Register) -> None:
        employer = store.add_nomination(_nomination(shared=("EV2", "EV1")))
        adviser = store.add_nomination(
            Nomination.create(uln=_A, organisation=_AO, view="full", created=_WHEN)
        )
        elsewhere = store.add_nomination(_nomination(uln=_B))
        assert (employer.id, adviser.id, elsewhere.id) == (1, 2, 3)
        assert employer == attrs.evolve(_nomination(shared=("EV2", "EV1")), id=1)
        assert store.nominations(_A) == [employer, adviser]
        assert employer.view is NominationView.RESTRICTED
        assert employer.shared == ("EV2", "EV1")  # the learner's order is kept
        later = _WHEN + _dt.timedelta(days=30)
        withdrawn = store.withdraw_nomination(employer.id, later)
        assert withdrawn == attrs.evolve(employer, withdrawn=later)
        assert not withdrawn.active
        assert store.nominations(_A) == [adviser]
        assert store.nominations(_A, include_withdrawn=True) == [withdrawn, adviser]
        with pytest.raises(IntegrityError):
            store.withdraw_nomination(employer.id, later)
        with pytest.raises(NotFound):
            store.withdraw_nomination(99, later)
        assert store.nominations(_B) == [elsewhere]


def _nomination(uln: str = _A, shared: tuple[str, ...] = ("EV1",)) -> Nomination:
    return Nomination.create(
        uln=uln, organisation=_LRB, view="restricted", shared=shared, created=_WHEN
    )


# -- random sequences of storage operations ------------------------------------------------

_ULN_POOL: Final = (_A, _B, _C)
_EVENT_IDS: Final = tuple(f"EV{i}" for i in range(8))
_ORGS: Final = (_LRB, _AO)
_USERNAMES: Final = ("jo", "sam", "al")


class PLRStateMachine(RuleBasedStateMachine):
    """Drives a backend's learning-records storage and a dict model side by side.

    Operations: add an event, add a batch (sometimes holding a stored or repeated id),
    raise or clear a challenge, add organisations and users, update users (sometimes to
    another organisation), nominate and withdraw, and a transaction that fails half way.
    Every refused operation must change nothing; after each step the backend must
    agree with the model.
    """

    store_factory: ClassVar[Callable[[], Register]]

    def __init__(self) -> None:
        super().__init__()
        self.store = type(self).store_factory()
        self.events: dict[str, LearningEvent] = {}
        self.orgs: dict[str, Organisation] = {}
        self.users: dict[str, User] = {}
        self.nominations: dict[int, Nomination] = {}

    def teardown(self) -> None:
        self.store.close()

    def _event(self, event_id: str, uln: str, credits: int) -> LearningEvent:
        return make_event(uln, event_id=event_id, credits=credits)

    @rule(
        event_id=st.sampled_from(_EVENT_IDS),
        uln=st.sampled_from(_ULN_POOL),
        credits=st.integers(0, 60),
    )
    def add_event(self, event_id: str, uln: str, credits: int) -> None:
        event = self._event(event_id, uln, credits)
        if event_id in self.events:
            with pytest.raises(IntegrityError):
                self.store.add_event(event)
            return
        self.store.add_event(event)
        self.events[event_id] = event

    @rule(
        ids=st.lists(st.sampled_from(_EVENT_IDS), max_size=4),
        uln=st.sampled_from(_ULN_POOL),
    )
    def add_events(self, ids: list[str], uln: str) -> None:
        batch = [self._event(event_id, uln, 5) for event_id in ids]
        if len(set(ids)) != len(ids) or any(i in self.events for i in ids):
            with pytest.raises(IntegrityError):
                self.store.add_events(batch)
            return
        assert self.store.add_events(batch) == len(batch)
        self.events.update((event.id, event) for event in batch)

    @rule(event_id=st.sampled_from(_EVENT_IDS), flag=st.booleans())
    def set_challenge(self, event_id: str, flag: bool) -> None:
        if event_id not in self.events:
            with pytest.raises(NotFound):
                self.store.set_challenge(event_id, flag)
            return
        expected = self.events[event_id].challenged(flag)
        assert self.store.set_challenge(event_id, flag) == expected
        self.events[event_id] = expected

    @rule(ukprn=st.sampled_from(_ORGS), kind=st.sampled_from(OrganisationKind))
    def add_organisation(self, ukprn: str, kind: OrganisationKind) -> None:
        organisation = Organisation(ukprn, f"Org {ukprn}", kind)
        if ukprn in self.orgs:
            with pytest.raises(IntegrityError):
                self.store.add_organisation(organisation)
            return
        self.store.add_organisation(organisation)
        self.orgs[ukprn] = organisation

    @rule(
        username=st.sampled_from(_USERNAMES),
        ukprn=st.sampled_from(_ORGS),
        role=st.sampled_from(Role),
    )
    def add_user(self, username: str, ukprn: str, role: Role) -> None:
        user = User(username, ukprn, role)
        if ukprn not in self.orgs:
            with pytest.raises(NotFound):
                self.store.add_user(user)
        elif username in self.users:
            with pytest.raises(IntegrityError):
                self.store.add_user(user)
        else:
            self.store.add_user(user)
            self.users[username] = user

    @rule(
        username=st.sampled_from(_USERNAMES),
        ukprn=st.sampled_from(_ORGS),
        active=st.booleans(),
        secret=st.sampled_from([None, "scrypt$1$ab", "scrypt$2$cd"]),
    )
    def update_user(self, username: str, ukprn: str, active: bool, secret: str | None) -> None:
        user = User(username, ukprn, Role.USER, active, secret)
        stored = self.users.get(username)
        if stored is None:
            with pytest.raises(NotFound):
                self.store.update_user(user)
        elif stored.organisation != ukprn:
            with pytest.raises(IntegrityError):
                self.store.update_user(user)
        else:
            self.store.update_user(user)
            self.users[username] = user

    @rule(
        uln=st.sampled_from(_ULN_POOL),
        ukprn=st.sampled_from(_ORGS),
        shared=st.lists(st.sampled_from(_EVENT_IDS), max_size=3, unique=True),
    )
    def nominate(self, uln: str, ukprn: str, shared: list[str]) -> None:
        view = "restricted" if shared else "full"
        nomination = Nomination.create(
            uln=uln, organisation=ukprn, view=view, shared=shared, created=_WHEN
        )
        stored = self.store.add_nomination(nomination)
        assert stored.id > max(self.nominations, default=0)  # ids only increase
        assert stored == attrs.evolve(nomination, id=stored.id)
        self.nominations[stored.id] = stored

    @rule(nomination_id=st.integers(1, 6))
    def withdraw(self, nomination_id: int) -> None:
        stored = self.nominations.get(nomination_id)
        later = _WHEN + _dt.timedelta(days=nomination_id)
        if stored is None:
            with pytest.raises(NotFound):
                self.store.withdraw_nomination(nomination_id, later)
        elif stored.withdrawn is not None:
            with pytest.raises(IntegrityError):
                self.store.withdraw_nomination(nomination_id, later)
        else:
            withdrawn = self.store.withdraw_nomination(nomination_id, later)
            assert withdrawn == attrs.evolve(stored, withdrawn=later)
            self.nominations[nomination_id] = withdrawn

    @rule(event_id=st.sampled_from(_EVENT_IDS))
    def failed_transaction(self, event_id: str) -> None:
        with pytest.raises(ZeroDivisionError), self.store.transaction():  # noqa: PT012
            if event_id not in self.events:
                self.store.add_event(self._event(event_id, _C, 1))
            else:
                self.store.set_challenge(event_id, not self.events[event_id].under_challenge)
            self.store.add_nomination(
                Nomination.create(uln=_C, organisation=_LRB, view="full", created=_WHEN)
            )
            for user in list(self.users.values())[:1]:
                self.store.update_user(attrs.evolve(user, active=not user.active))
            1 / 0  # noqa: B018

    @invariant()
    def agrees_with_the_model(self) -> None:
        store = self.store
        for uln in _ULN_POOL:
            expected = sorted(
                (e for e in self.events.values() if e.uln == uln),
                key=lambda e: (e.award_date, e.id),
            )
            assert store.events(uln) == expected
            assert store.nominations(uln, include_withdrawn=True) == [
                n for _, n in sorted(self.nominations.items()) if n.uln == uln
            ]
        for event_id in _EVENT_IDS:
            assert store.get_event(event_id) == self.events.get(event_id)
        assert store.organisations() == [self.orgs[k] for k in sorted(self.orgs)]
        for ukprn in _ORGS:
            assert store.users(ukprn) == sorted(
                (u for u in self.users.values() if u.organisation == ukprn), key=lambda u: u.id
            )


def plr_state_machine_test(
    store_factory: Callable[[], Register], *, max_examples: int = 20, steps: int = 25
) -> Any:
    """A unittest TestCase running :class:`PLRStateMachine` on new stores."""

    return machine_test_case(PLRStateMachine, store_factory, max_examples, steps)


def machine_test_case(
    machine: type[Any], store_factory: Callable[[], Register], max_examples: int, steps: int
) -> Any:
    """The unittest TestCase of a subclass of ``machine`` (a state machine with a
    ``store_factory``) that runs on new stores from ``store_factory``."""

    class Machine(machine):  # type: ignore[misc]
        pass

    Machine.store_factory = staticmethod(store_factory)
    Machine.TestCase.settings = settings(
        max_examples=max_examples,
        stateful_step_count=steps,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    return Machine.TestCase
