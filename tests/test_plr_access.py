"""Random sequences of operations by random users: nobody gets what the rules deny them.

Each example sets up organisations (two colleges, two awarding organisations, an
employer), their
users (a removed one, a forged one and a stranger among the actors), learners (an adult
with a verified identity, one without, a minor, one who opted out of sharing) and their
events, then runs a random list of operations by random actors. After every operation:

- a refused request (``WSEC0006``/``WSEC0206``) or one that raised changed nothing: the
  whole stored state (learners and their histories, events, organisations, users,
  nominations, the audit, exceptions) is the same before and after;
- the rules, written here a second time independently of :mod:`uln.plr.access`, say
  whether the request should have been allowed, and the answer agrees both ways;
- a PLR read shows exactly the events the reader is entitled to, and no detail or event
  field outside the view's field set.

Runs on the memory and SQLite registers, and on PostgreSQL and MariaDB when their test
databases are set (``ULN_TEST_POSTGRES_URL``, ``ULN_TEST_MYSQL_URL``; failing, not
skipped, under ``CI=true``).
"""

from __future__ import annotations

import datetime as dt
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import uln.register
from uln.enums import AbilityToShare, VerificationType
from uln.errors import RegisterError, UlnWarning, ValidationError
from uln.learner import Learner
from uln.plr import LearningEvent, NominationView, Organisation, OrganisationKind, Role, User
from uln.plr.access import LRS, Actor, AsLearner, AsLrs
from uln.plr.service import PlrResult, PlrService
from uln.register import LearnerRegister, Register, Result

NOW = dt.datetime(2025, 9, 1, 12, 0, tzinfo=dt.UTC)
COLLEGE, OTHER_COLLEGE, BOARD, OTHER_BOARD = "10012345", "10099999", "10054321", "10077777"
EMPLOYER = "10088888"
ORGS = (COLLEGE, OTHER_COLLEGE, BOARD, OTHER_BOARD, EMPLOYER)

# The rules, a second time, by hand (never imported from the code under test).
REFUSED = {"WSEC0006", "WSEC0206"}
NEVER_SHOWN = {"notes", "mis_identifier", "version", "created", "updated", "master_uln"}
BASIC = {"uln", "given_name", "preferred_given_name", "family_name", "date_of_birth"}
BRIEF_EVENT = {
    "id",
    "award_date",
    "credits",
    "source",
    "level",
    "subject",
    "grade",
    "subject_code",
    "provider_ukprn",
}
ALL_EVENT = {f.name for f in attrs.fields(LearningEvent)}

PEOPLE = [
    # (given, family, date of birth, verification type, opted out)
    ("Huw", "Pugh", "2005-06-07", "2", False),  # adult, identity verified
    ("Ffion", "Evans", "2006-11-30", None, False),  # adult, not verified
    ("Cerys", "Morgan", "2011-02-03", "2", False),  # 14: too young for their own view
    ("Rhodri", "Jenkins", "2004-03-09", "4", True),  # adult, verified, opted out
]
POSTCODES = ["LL57 2DG", "CF10 1AA", "SA1 1AA", "NP20 1AA"]


@attrs.frozen
class State:
    """Everything stored, for comparing before and after and for the rules."""

    learners: dict[str, Learner]
    histories: dict[str, list[Learner]]
    events: dict[str, LearningEvent]
    organisations: dict[str, Organisation]
    users: dict[str, User]
    nominations: list[Any]
    audit: list[Any]
    exceptions: list[Any]

    def master(self, uln: str) -> str | None:
        learner = self.learners.get(uln)
        while learner is not None and learner.master_uln is not None:
            learner = self.learners.get(learner.master_uln)
        return None if learner is None else learner.uln

    def ulns(self, master: str) -> set[str]:
        return {u for u in self.learners if self.master(u) == master}


def snapshot(store: Register) -> State:
    learners = {learner.uln: learner for learner in store if learner.uln}
    organisations = {o.ukprn: o for o in store.organisations()}
    users = {u.id: u for ukprn in organisations for u in store.users(ukprn)}
    return State(
        learners=learners,
        histories={uln: store.history(uln) for uln in learners},
        events={e.id: e for e in store.events_for(learners)},
        organisations=organisations,
        users=users,
        nominations=sorted(
            (n for uln in learners for n in store.nominations(uln, include_withdrawn=True)),
            key=lambda n: n.id,
        ),
        audit=[(e.at, e.organisation, e.action, e.uln, e.user, e.detail) for e in store.audit()],
        exceptions=store.exceptions(status=None),
    )


@attrs.frozen
class Who:
    kind: str  # lrs, learner, lrb, ao, other, nobody
    ukprn: str | None = None
    super_user: bool = False
    uln: str | None = None


def who(state: State, actor: Actor) -> Who:
    if isinstance(actor, AsLrs):
        return Who("lrs")
    if isinstance(actor, AsLearner):
        master = state.master(actor.uln)
        return Who("learner", uln=master) if master else Who("nobody")
    stored = state.users.get(actor.id)
    if stored is None or not stored.active or stored.organisation != actor.organisation:
        return Who("nobody")
    kind = state.organisations[stored.organisation].kind
    name = {
        OrganisationKind.LEARNER_REGISTRATION_BODY: "lrb",
        OrganisationKind.AWARDING_ORGANISATION: "ao",
    }.get(kind, "other")
    return Who(name, stored.organisation, stored.role is Role.SUPER_USER)


def age(born: dt.date) -> int:
    today = NOW.date()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def entitlement(state: State, w: Who, master: str) -> tuple[str | None, set[str]]:
    """('full' | 'restricted' | None, the event ids the reader may see)."""
    learner = state.learners[master]
    ulns = state.ulns(master)
    every = {e.id for e in state.events.values() if e.uln in ulns}
    if w.kind == "learner":
        born = learner.demographics.date_of_birth
        verified = learner.verification_type not in (None, VerificationType.NONE)
        if w.uln == master and born is not None and age(born) >= 16 and verified:
            return "full", every
        return None, set()
    if w.kind in ("lrb", "ao", "other"):
        if learner.ability_to_share is AbilityToShare.SEEN_MAY_NOT_SHARE:
            return None, set()
        standing = [
            n
            for n in state.nominations
            if n.uln in ulns and n.organisation == w.ukprn and n.withdrawn is None
        ]
        if not standing:
            return None, set()
        if any(n.view is NominationView.FULL for n in standing):
            return "full", every
        return "restricted", every & {i for n in standing for i in n.shared}
    return None, set()


def may_manage(state: State, w: Who, ukprn: str | None) -> bool:
    return w.kind == "lrs" or (w.super_user and ukprn is not None and w.ukprn == ukprn)


# -- the world ---------------------------------------------------------------------------


class World:
    def __init__(self, register: LearnerRegister) -> None:
        self.service = PlrService(register, clock=lambda: NOW, secret_cost=2)
        self.store = register.store
        service = self.service
        users: list[Actor] = [LRS]
        names = {COLLEGE: "Coleg Gwent", OTHER_COLLEGE: "Coleg Sir Gar", BOARD: "WJEC"}
        names[EMPLOYER] = "Trafnidiaeth Cymru"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UlnWarning)
            for ukprn, kind, boss, plain in (
                (COLLEGE, "lrb", "carys", "sam"),
                (OTHER_COLLEGE, "lrb", "dewi", "nia"),
                (BOARD, "ao", "aled", "ffion"),
                (OTHER_BOARD, "ao", "bethan", "iolo"),
                (EMPLOYER, "other", "gareth", "mari"),
            ):
                org = Organisation.create(ukprn=ukprn, name=names.get(ukprn, "Pearson"), kind=kind)
                made = service.add_organisation(LRS, org, super_user=boss)
                assert made.user is not None
                added = service.add_user(made.user, plain).user
                assert added is not None
                users += [made.user, added]
            gone = service.add_user(users[1], "gone").user
            assert gone is not None
            service.remove_user(users[1], "gone")
        forged = User.create(id="sam", organisation=COLLEGE, role="super_user")
        stranger = User.create(id="nobody", organisation=BOARD, role="super_user")
        users += [gone, forged, stranger]
        college = users[1]
        self.ulns: list[str] = []
        for i, (first, family, born, verified, opted_out) in enumerate(PEOPLE):
            fields = {
                "GivenName": first,
                "FamilyName": family,
                "DateOfBirth": born,
                "Gender": "1",
                "LastKnownPostCode": POSTCODES[i],
                "AbilityToShare": "1",
            }
            if verified:
                fields["VerificationType"] = verified
            result = service.register_learner(college, fields)
            assert result.code == "WSRC0005", result
            assert result.uln is not None
            self.ulns.append(result.uln)
            if opted_out:  # an opt-out kept from before 2018
                learner = self.store.get(result.uln)
                assert learner is not None
                self.store.replace(
                    attrs.evolve(
                        learner, ability_to_share=AbilityToShare.SEEN_MAY_NOT_SHARE, version=2
                    ),
                    expected_version=1,
                    keys=None,
                    identity=None,
                )
        self.event_ids: list[str] = []
        owners = [(0, BOARD), (0, OTHER_BOARD), (1, BOARD), (3, BOARD), (0, BOARD)]
        owners += [(1, OTHER_BOARD), (2, BOARD), (2, BOARD), (3, OTHER_BOARD)]
        for i, (owner, awarding) in enumerate(owners):
            board = users[5] if awarding == BOARD else users[7]
            event = self.event(f"E{i}", self.ulns[owner], awarding)
            assert service.add_event(board, event).code == "WSRC0006"
            self.event_ids.append(event.id)
        assert len(users) == LEARNER0
        self.actors: list[Actor] = [*users, *(AsLearner(u) for u in self.ulns)]
        self.usernames = ["carys", "sam", "dewi", "nia", "aled", "ffion", "bethan", "gareth"]
        self.usernames += ["mari", "gone", "x"]
        self.counter = 0

    def event(self, id: str, uln: str, awarding: str) -> LearningEvent:
        return LearningEvent.create(
            id=id,
            uln=uln,
            provider_ukprn=COLLEGE,
            provider_name="Coleg Gwent",
            awarding_ukprn=awarding,
            awarding_name="WJEC",
            qualification_type="QCF unit",
            subject_code="K/501/5773",
            subject="Using email",
            award_date=f"2025-0{1 + len(id) % 7}-0{1 + int(id[1:]) % 9}",
            credits=3,
            level="2",
            grade="Pass",
            loaded="2025-08-01",
        )

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"


# -- operations --------------------------------------------------------------------------

VIEW_NAMES = ("full", "brief", "restricted")

# Actors 0..13 are the LRS and users (10 real, a removed one, a forged one, a stranger),
# 14 and up the learners themselves: half the draws are learners.
LEARNER0 = 14
actors = st.one_of(st.integers(0, LEARNER0 - 1), st.integers(LEARNER0, LEARNER0 + 3))
LRB_USERS, AO_USERS = [1, 2, 3, 4], [5, 6, 7, 8]


def actors_like(relevant: list[int]) -> st.SearchStrategy[int]:
    """Any actor, with the actors relevant to an operation drawn half the time."""
    return st.one_of(st.sampled_from(relevant), actors)


# The users of each organisation of ORGS: (super user, plain user).
ORG_USERS = ((1, 2), (3, 4), (5, 6), (7, 8), (9, 10))

nominate_read = st.tuples(
    st.just("nominate_read"),
    st.integers(0, 3),
    st.integers(0, 4),
    st.sampled_from(["full", "restricted", "restricted"]),
    st.lists(st.integers(0, 5), min_size=1, max_size=2, unique=True),
    st.integers(0, 1),
    st.sampled_from(VIEW_NAMES),
)
"""A learner nominates an organisation, then one of its users reads (weighted: the
interesting reads need a nomination first)."""

own_read = st.tuples(st.just("own_read"), st.integers(0, 3), st.sampled_from(VIEW_NAMES))

operations = st.one_of(
    st.tuples(st.just("read"), actors, st.integers(0, 3), st.sampled_from(VIEW_NAMES)),
    nominate_read,
    nominate_read,
    nominate_read,
    own_read,
    own_read,
    st.tuples(
        st.just("nominate"),
        actors,
        st.integers(0, 4),
        st.sampled_from(["full", "restricted"]),
        st.lists(st.integers(0, 5), max_size=3, unique=True),
    ),
    st.tuples(st.just("withdraw"), actors, st.integers(0, 4)),
    st.tuples(st.just("add_event"), actors_like(AO_USERS), st.integers(0, 3), st.integers(0, 3)),
    st.tuples(
        st.just("challenge"), actors_like(LRB_USERS + AO_USERS), st.integers(0, 5), st.booleans()
    ),
    st.tuples(st.just("register"), actors_like(LRB_USERS)),
    st.tuples(st.just("update"), actors_like(LRB_USERS), st.integers(0, 3)),
    st.tuples(st.just("find"), actors_like(LRB_USERS), st.integers(0, 3)),
    st.tuples(st.just("verify"), actors_like(AO_USERS), st.integers(0, 3)),
    st.tuples(st.just("identity"), actors_like(LRB_USERS), st.integers(0, 3)),
    st.tuples(st.just("link"), actors_like(LRB_USERS), st.integers(0, 3), st.integers(0, 3)),
    st.tuples(st.just("unlink"), actors_like(LRB_USERS), st.integers(0, 3)),
    st.tuples(st.just("privacy"), actors_like(LRB_USERS), st.integers(0, 3)),
    st.tuples(st.just("add_user"), actors, st.integers(0, 4), st.sampled_from(list(Role))),
    st.tuples(st.just("remove_user"), actors, st.integers(0, 10)),
    st.tuples(st.just("reset"), actors, st.integers(0, 10)),
    st.tuples(st.just("audit"), actors, st.integers(0, 4), st.booleans()),
)


def run(world: World, op: tuple[Any, ...]) -> None:
    if op[0] == "nominate_read":  # a learner nominates an organisation, one of its users reads
        _, learner, org, view, picks, reader, read_view = op
        state = snapshot(world.store)
        master = state.master(world.ulns[learner])
        own = sorted(i for i, e in state.events.items() if state.master(e.uln) == master)
        shared = sorted({own[i % len(own)] for i in picks}) if own else []
        run(world, ("nominate", LEARNER0 + learner, org, view, shared))
        run(world, ("read", ORG_USERS[org][reader], learner, read_view))
        return
    if op[0] == "own_read":  # a learner reads their own record
        run(world, ("read", LEARNER0 + op[1], op[1], op[2]))
        return
    service = world.service
    name, actor = op[0], world.actors[op[1] % len(world.actors)]
    before = snapshot(world.store)
    w = who(before, actor)
    expected: bool  # whether the rules allow the request
    result: Result | PlrResult | None = None
    raised: Exception | None = None
    check: Callable[[Any], None] = lambda result: None  # noqa: E731
    try:
        if name == "read":
            uln, view = world.ulns[op[2]], op[3]
            master = before.master(uln)
            assert master is not None
            scope, allowed_ids = entitlement(before, w, master)
            expected = scope is not None and not (scope == "restricted" and view == "full")

            def check(result: Any) -> None:
                plr = result.view
                assert plr.uln == master
                assert set(plr.event_ids) == allowed_ids
                fields = {"brief": BRIEF_EVENT, "restricted": ALL_EVENT - {"restriction"}}
                for event in plr.events:
                    assert set(event) <= fields.get(view, ALL_EVENT)
                details = {"brief": {"uln"}, "restricted": BASIC}.get(view)
                assert not set(plr.details) & NEVER_SHOWN
                if details is not None:
                    assert set(plr.details) <= details

            result = service.read_plr(actor, uln, view)
        elif name == "nominate":
            ids = [i if isinstance(i, str) else world.event_ids[i % len(world.event_ids)]
                   for i in op[4]]  # fmt: skip
            expected = w.kind == "learner"
            shared = ids if op[3] == "restricted" else []
            result = service.nominate(actor, ORGS[op[2]], view=op[3], shared=shared)
        elif name == "withdraw":
            expected = w.kind == "learner"
            result = service.withdraw(actor, ORGS[op[2]])
        elif name == "add_event":
            awarding = (BOARD, OTHER_BOARD, COLLEGE, BOARD)[op[3]]
            expected = w.kind == "ao" and w.ukprn == awarding
            event = world.event(world.fresh("N"), world.ulns[op[2]], awarding)
            result = service.add_event(actor, event)
            if result.code == "WSRC0006":
                world.event_ids.append(event.id)
        elif name == "challenge":
            event = before.events[world.event_ids[op[2] % len(world.event_ids)]]
            owner = before.master(event.uln)
            if op[3]:
                expected = (w.kind == "learner" and w.uln == owner) or (
                    w.kind == "lrb" and w.ukprn == event.provider_ukprn
                )
                result = service.raise_challenge(actor, event.id)
            else:
                expected = w.kind == "ao" and w.ukprn == event.awarding_ukprn
                result = service.clear_challenge(actor, event.id)
        elif name == "register":
            k = world.counter = world.counter + 1
            expected = w.kind == "lrb"
            fields = {
                "GivenName": ("Osian", "Elin", "Gethin", "Lowri")[k % 4],
                "FamilyName": ("Price", "Lloyd", "Owen", "Rees")[k // 4 % 4],
                "DateOfBirth": (dt.date(2000, 1, 1) + dt.timedelta(days=37 * k)).isoformat(),
                "Gender": "2",
                "LastKnownPostCode": "LL11 1AA",
            }
            result = service.register_learner(actor, fields)
            if result.uln and result.code == "WSRC0005":
                world.ulns.append(result.uln)
        elif name == "update":
            learner = before.learners[world.ulns[op[2]]]
            expected = w.kind == "lrb"
            result = service.update_learner(
                actor,
                learner.uln or "",
                learner.version,
                title="Dr" if learner.version % 2 else "Mx",
            )
        elif name == "find":
            uln = world.ulns[op[2]]
            learner = before.learners[uln]
            expected = w.kind == "lrb"
            d = learner.demographics
            result = service.find_by_uln(actor, uln, d.given_name or "", d.family_name or "")
        elif name == "verify":
            expected = w.kind in ("lrb", "ao")
            result = service.verify_learner(actor, world.ulns[op[2]], "Huw", "Pugh")

            def check(result: Any) -> None:
                assert result.learners == ()

        elif name == "identity":
            expected = w.kind == "lrb"
            result = service.record_identity(actor, world.ulns[op[2]], "passport")
        elif name == "link":
            expected = w.kind == "lrb"
            result = service.link(actor, world.ulns[op[2]], world.ulns[op[3]])
        elif name == "unlink":
            expected = w.kind == "lrb"
            result = service.unlink(actor, world.ulns[op[2]])
        elif name == "privacy":
            expected = w.kind == "lrb"
            result = service.record_privacy_notice(actor, world.ulns[op[2]])
        elif name == "add_user":
            ukprn = ORGS[op[2]]
            expected = may_manage(before, w, ukprn)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UlnWarning)
                result = service.add_user(actor, world.fresh("u"), organisation=ukprn, role=op[3])
        elif name in ("remove_user", "reset"):
            target = before.users.get(world.usernames[op[2]])
            expected = target is not None and may_manage(before, w, target.organisation)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UlnWarning)
                call = service.remove_user if name == "remove_user" else service.reset_access
                result = call(actor, world.usernames[op[2]])
        elif name == "audit":
            if op[3]:
                uln = world.ulns[op[2] % len(world.ulns)]
                expected = w.kind == "lrs" or (w.kind == "learner" and before.master(uln) == w.uln)
                result = service.audit(actor, uln=uln)
                mine = before.ulns(before.master(uln) or uln)

                def check(result: Any) -> None:
                    assert all(e.uln in mine for e in result.audit)

            else:
                ukprn = ORGS[op[2]]
                expected = w.kind == "lrs" or (w.super_user and w.ukprn == ukprn)
                result = service.audit(actor, organisation=ukprn)

                def check(result: Any) -> None:
                    assert all(e.organisation == ukprn for e in result.audit)

        else:  # pragma: no cover
            raise AssertionError(name)
    except (ValidationError, RegisterError) as exc:
        raised = exc
    after = snapshot(world.store)
    refused = result is not None and result.code in REFUSED
    if raised is not None or refused:
        assert after == before, f"{name} by {w.kind} was refused but changed the register"
    if raised is None:
        assert result is not None
        assert refused == (not expected), f"{name} by {w} gave {result.code}"
        if not refused:
            check(result)
    if isinstance(result, Result) and result.learners:
        assert w.kind == "lrb", f"{name} gave learners to {w.kind}"


def backends() -> list[Any]:
    return [
        "memory",
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.postgresql),
        pytest.param("mariadb", marks=pytest.mark.mariadb),
    ]


@pytest.fixture(params=backends())
def new_register(request: pytest.FixtureRequest) -> Iterator[Callable[[], LearnerRegister]]:
    backend = request.param
    opened: list[LearnerRegister] = []
    if backend == "memory":

        def make() -> LearnerRegister:
            return uln.register.open("memory://")

    else:
        pytest.importorskip("sqlalchemy")
        from uln.register import _sql_testing as helpers

        if backend == "sqlite":
            folder = Path(tempfile.mkdtemp())

            def make() -> LearnerRegister:
                url = f"sqlite:///{folder / f'r{len(opened)}.sqlite3'}"
                return uln.register.open(url)

        else:
            env = helpers.POSTGRES_ENV if backend == "postgresql" else helpers.MYSQL_ENV
            url = helpers.server_url(env)

            def make() -> LearnerRegister:
                helpers.clean_register(url).close()
                return uln.register.open(url)

    def tracked() -> LearnerRegister:
        register = make()
        opened.append(register)
        return register

    yield tracked
    for register in opened:
        register.close()


EXAMPLES = {"memory": 80, "sqlite": 8, "postgresql": 5, "mariadb": 5}


def test_nobody_gets_what_the_policy_denies_and_refusals_change_nothing(
    new_register: Callable[[], LearnerRegister], request: pytest.FixtureRequest
) -> None:
    backend = request.node.callspec.params["new_register"]

    @settings(
        max_examples=EXAMPLES[backend],
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(ops=st.lists(operations, min_size=4, max_size=16))
    def property(ops: list[tuple[Any, ...]]) -> None:
        register = new_register()
        try:
            world = World(register)
            for op in ops:
                run(world, op)
        finally:
            register.close()

    property()
