"""The acting-user layer over the register: organisations, users, events, views, audit."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterator
from typing import Any

import attrs
import pytest

import uln.register
from uln.enums import AbilityToShare, VerificationType
from uln.errors import (
    IntegrityError,
    InvalidCode,
    InvalidFormat,
    InvalidRecord,
    MissingValue,
    UlnWarning,
)
from uln.plr import LearningEvent, Organisation, User
from uln.plr.access import LRS, AccessDenied, AsLearner, check_secret
from uln.plr.service import PlrService
from uln.plr.views import BASIC_DETAILS, BRIEF_EVENT_FIELDS

NOW = dt.datetime(2025, 9, 1, 12, 0, tzinfo=dt.UTC)
COLLEGE, OTHER_COLLEGE, BOARD, OTHER_BOARD = "10012345", "10099999", "10054321", "10077777"

HUW = {
    "GivenName": "Huw",
    "FamilyName": "Pugh",
    "DateOfBirth": "2005-06-07",
    "Gender": "1",
    "LastKnownPostCode": "LL57 2DG",
}
YOUNG = {
    "GivenName": "Cerys",
    "FamilyName": "Morgan",
    "DateOfBirth": "2011-02-03",
    "Gender": "2",
    "LastKnownPostCode": "CF10 1AA",
}


class World:
    """A register with two colleges and two awarding organisations, each with a super user."""

    def __init__(self, register: uln.register.LearnerRegister) -> None:
        self.service = PlrService(register, clock=lambda: NOW, secret_cost=2)
        self.keys: dict[str, str] = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UlnWarning)
            self.college = self._org(COLLEGE, "Coleg Gwent", "lrb", "carys")
            self.other_college = self._org(OTHER_COLLEGE, "Coleg Sir Gar", "lrb", "dewi")
            self.board = self._org(BOARD, "WJEC", "ao", "aled")
            self.other_board = self._org(OTHER_BOARD, "Pearson", "ao", "bethan")

    def _org(self, ukprn: str, name: str, kind: str, super_user: str) -> User:
        made = self.service.add_organisation(
            LRS, Organisation.create(ukprn=ukprn, name=name, kind=kind), super_user=super_user
        )
        assert made.user is not None
        assert made.access_key is not None
        self.keys[super_user] = made.access_key
        return made.user

    def register(self, fields: dict[str, Any] = HUW, **extra: Any) -> str:
        result = self.service.register_learner(self.college, {**fields, **extra})
        assert result.code == "WSRC0005", result
        assert result.uln is not None
        return result.uln

    def event(self, uln: str, *, id: str, awarding: str = BOARD, **extra: Any) -> LearningEvent:
        values: dict[str, Any] = {
            "id": id,
            "uln": uln,
            "provider_ukprn": COLLEGE,
            "provider_name": "Coleg Gwent",
            "awarding_ukprn": awarding,
            "awarding_name": "WJEC",
            "qualification_type": "QCF unit",
            "subject_code": "K/501/5773",
            "subject": "Using email",
            "award_date": "2025-07-01",
            "credits": 3,
            "level": "Entry 3",
            "grade": "Pass",
            "loaded": "2025-08-01",
            **extra,
        }
        return LearningEvent.create(**values)


@pytest.fixture
def world() -> Iterator[World]:
    with uln.register.open("memory://") as register:
        yield World(register)


# -- organisations and users -------------------------------------------------------------


def test_an_organisation_with_fewer_than_three_super_users_is_warned(world: World) -> None:
    service = world.service
    with pytest.warns(UlnWarning, match="2 super users; at least 3"):
        second = service.add_super_user(world.college, "gwen")
    assert second.code == "WSRC0006"
    assert second.warnings
    assert second.access_key
    assert check_secret(second.access_key, second.user.secret_hash or "")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        third = service.add_super_user(world.college, "ifan")
    assert third.code == "WSRC0006"
    assert third.warnings == ()


def test_the_last_super_user_cannot_be_removed(world: World) -> None:
    service = world.service
    with pytest.warns(UlnWarning):
        service.add_user(world.college, "sam")
    with pytest.raises(IntegrityError, match="last super user"):
        service.remove_user(world.college, "carys")
    with pytest.warns(UlnWarning):
        service.add_super_user(world.college, "sam")  # promoted
    with pytest.warns(UlnWarning, match="1 super user;"):
        removed = service.remove_user(LRS, "carys")
    assert removed.code == "WSRC0006"
    assert service.acting(world.college) is None  # a removed user can do nothing
    assert service.authenticate("carys", world.keys["carys"]) is None


def test_super_users_manage_their_own_organisation_only(world: World) -> None:
    service = world.service
    refused = service.add_user(world.college, "intruder", organisation=OTHER_COLLEGE)
    assert refused.code == "WSEC0006"
    assert refused.access_key is None
    assert [u.id for u in service.register.store.users(OTHER_COLLEGE)] == ["dewi"]
    assert service.reset_access(world.college, "dewi").code == "WSEC0006"
    with pytest.raises(AccessDenied, match="WSEC0006"):
        service.remove_user(world.college, "dewi").raise_for_refusal()


def test_a_plain_user_manages_nobody_and_a_forged_role_counts_for_nothing(world: World) -> None:
    service = world.service
    with pytest.warns(UlnWarning):
        sam = service.add_user(world.college, "sam").user
    assert sam is not None
    assert service.add_user(sam, "friend").code == "WSEC0006"
    forged = User.create(id="sam", organisation=COLLEGE, role="super_user")
    assert service.add_user(forged, "friend").code == "WSEC0006"
    assert service.register.store.get_user("friend") is None
    stranger = User.create(id="nobody", organisation=COLLEGE, role="super_user")
    assert service.add_user(stranger, "friend").code == "WSEC0006"


def test_access_keys_are_hashed_and_reset(world: World) -> None:
    service = world.service
    stored = service.register.store.get_user("carys")
    assert stored is not None
    assert stored.secret_hash is not None
    assert world.keys["carys"] not in stored.secret_hash
    assert stored.secret_hash.startswith("scrypt$")
    assert world.keys["carys"] not in repr(stored)
    assert service.authenticate("carys", world.keys["carys"]) == stored
    reset = service.reset_access(world.college, "carys")
    assert reset.access_key
    assert reset.access_key != world.keys["carys"]
    assert reset.access_key not in repr(reset)
    assert service.authenticate("carys", world.keys["carys"]) is None
    assert service.authenticate("carys", reset.access_key) is not None
    assert service.authenticate("nobody", reset.access_key) is None


def test_only_the_lrs_adds_organisations(world: World) -> None:
    org = Organisation.create(ukprn="10011111", name="Coleg Newydd", kind="lrb")
    assert world.service.add_organisation(world.college, org, super_user="x").code == "WSEC0006"
    assert world.service.register.store.get_organisation("10011111") is None


# -- the register on behalf of users -----------------------------------------------------


def test_an_lrb_registers_finds_and_updates_and_an_ao_only_verifies(world: World) -> None:
    service = world.service
    uln = world.register()
    assert service.register_learner(world.board, YOUNG).code == "WSEC0006"
    assert service.register.count() == 1
    assert service.find_by_uln(world.board, uln, "Huw", "Pugh").code == "WSEC0006"
    assert service.find_by_uln(world.college, uln, "Huw", "Pugh").code == "WSRC0004"
    assert service.update_learner(world.board, uln, 1, title="Mr").code == "WSEC0006"
    assert service.update_learner(world.college, uln, 1, title="Mr").code == "WSRC0006"
    assert service.verify_learner(world.board, uln, "Huw", "Pugh").code == "WSVRC001"
    learner = AsLearner(uln)
    assert service.find_by_demographics(learner, HUW).code == "WSEC0006"
    assert service.verify_learner(learner, uln, "Huw", "Pugh").code == "WSEC0006"


def test_reads_by_find_are_audited_with_the_user(world: World) -> None:
    uln = world.register()
    world.service.find_by_uln(world.college, uln, "Huw", "Pugh")
    events = world.service.audit(world.college, organisation=COLLEGE).audit
    finds = [e for e in events if e.action == "find"]
    assert [(e.uln, e.user) for e in finds] == [(uln, "carys")]


# -- identity and the privacy notice -----------------------------------------------------


def test_identity_verification_is_recorded_and_never_stops_registration(world: World) -> None:
    service = world.service
    uln = world.register(VerificationType="0")
    assert service.record_identity(world.college, uln, "passport").code == "WSRC0006"
    learner = service.register.get(uln)
    assert learner is not None
    assert learner.verification_type is VerificationType.PASSPORT
    with pytest.raises(MissingValue) as missing:
        service.record_identity(world.college, uln, "other")
    assert missing.value.field == "OtherVerificationDescription"
    assert service.record_identity(world.college, uln, 999, "college ID card").code == "WSRC0006"
    with pytest.raises(InvalidCode) as bad:
        service.record_identity(world.college, uln, "library card")
    assert bad.value.field == "VerificationType"
    assert service.record_identity(world.board, uln, "passport").code == "WSEC0006"


def test_registering_without_the_privacy_notice_is_allowed_and_counted(world: World) -> None:
    service = world.service
    unseen = world.register()
    seen = world.register(YOUNG, PrivacyNoticeSeen="1")
    report = service.privacy_report(world.college, COLLEGE)
    assert not isinstance(report, type(service.read_plr(LRS, unseen)))
    assert (report.registered, report.without_notice, report.ulns) == (2, 1, (unseen,))
    assert service.record_privacy_notice(world.college, unseen).code == "WSRC0006"
    learner = service.register.get(unseen)
    assert learner is not None
    assert learner.privacy_notice_seen is not None
    assert seen != unseen
    assert service.privacy_report(world.other_college, COLLEGE).code == "WSEC0006"


# -- learning events ---------------------------------------------------------------------


def test_an_ao_uploads_events_for_its_own_qualifications_only(world: World) -> None:
    service = world.service
    uln = world.register()
    added = service.add_event(world.board, world.event(uln, id="EV1"))
    assert added.code == "WSRC0006"
    assert [e.id for e in added.events] == ["EV1"]
    theirs = world.event(uln, id="EV2", awarding=OTHER_BOARD)
    mixed = service.add_events(world.board, [world.event(uln, id="EV3"), theirs])
    assert mixed.code == "WSEC0006"
    assert [e.id for e in service.register.store.events(uln)] == ["EV1"]
    assert service.add_event(world.college, world.event(uln, id="EV4")).code == "WSEC0006"
    assert service.add_event(AsLearner(uln), world.event(uln, id="EV5")).code == "WSEC0006"


def test_an_event_for_an_unknown_uln_is_refused_naming_the_field(world: World) -> None:
    uln = world.register()
    events = [world.event(uln, id="EV1"), world.event("9276308686", id="EV2")]
    with pytest.raises(InvalidRecord) as refused:
        world.service.add_events(world.board, events)
    assert refused.value.fields == ("ULN",)
    assert refused.value.problems[0].line == 2
    assert world.service.register.store.events(uln) == []


def test_a_malformed_subject_code_is_refused_naming_the_field(world: World) -> None:
    uln = world.register()
    with pytest.raises(InvalidFormat) as refused:
        world.event(uln, id="EV1", subject_code="K501/5773")
    assert refused.value.field == "SubjectCode"


def test_events_sent_to_a_linked_uln_land_on_the_master(world: World) -> None:
    service = world.service
    master = world.register()
    other = world.register(YOUNG)
    assert service.link(world.college, master, other).code == "WSRC0006"
    added = service.add_event(world.board, world.event(other, id="EV1"))
    assert added.events[0].uln == master
    assert [e.id for e in service.register.store.events(master)] == ["EV1"]


def test_events_of_two_learners_later_linked_read_as_one_plr(world: World) -> None:
    service = world.service
    first = world.register(VerificationType="2")
    second = world.register(YOUNG)
    service.add_event(world.board, world.event(first, id="EV1"))
    service.add_event(world.board, world.event(second, id="EV2", award_date="2025-06-01"))
    me = AsLearner(first)
    assert service.read_plr(me, first).view.event_ids == ("EV1",)
    service.link(world.college, first, second)
    for actor, asked in ((me, first), (AsLearner(second), second), (me, second)):
        read = service.read_plr(actor, asked)
        assert read.code == "WSRC0004"
        assert read.uln == first
        assert read.view.event_ids == ("EV2", "EV1")
        assert read.view.details["linked_ulns"] == (second,)


def test_data_challenges(world: World) -> None:
    service = world.service
    uln = world.register()
    someone = world.register(YOUNG)
    service.add_event(world.board, world.event(uln, id="EV1"))
    assert service.raise_challenge(AsLearner(someone), "EV1").code == "WSEC0006"
    assert service.raise_challenge(world.other_college, "EV1").code == "WSEC0006"
    raised = service.raise_challenge(AsLearner(uln), "EV1")
    assert raised.code == "WSRC0006"
    assert raised.events[0].under_challenge
    assert service.raise_challenge(world.college, "EV1").code == "WSRC0020"
    assert service.clear_challenge(world.other_board, "EV1").code == "WSEC0006"
    assert service.clear_challenge(AsLearner(uln), "EV1").code == "WSEC0006"
    cleared = service.clear_challenge(world.board, "EV1")
    assert cleared.code == "WSRC0006"
    assert not cleared.events[0].under_challenge


# -- reading a PLR -----------------------------------------------------------------------


def test_a_learner_reads_their_own_plr_at_16_with_identity_verified(world: World) -> None:
    service = world.service
    adult = world.register()
    young = world.register(YOUNG, VerificationType="2")
    me = AsLearner(adult)
    refused = service.read_plr(me, adult)
    assert refused.code == "WSEC0006"
    assert refused.view is None
    assert "identity" in refused.reason
    service.record_identity(world.college, adult, "driving_licence")
    full = service.read_plr(me, adult)
    assert full.code == "WSRC0004"
    assert full.view is not None
    assert full.view.details["given_name"] == "Huw"
    assert service.read_plr(AsLearner(young), young).code == "WSEC0006"
    assert service.read_plr(me, young).code == "WSEC0006"  # somebody else's


def test_a_nominated_organisation_reads_the_restricted_view(world: World) -> None:
    service = world.service
    uln = world.register(VerificationType="2", EmailAddress="huw@example.org")
    service.add_events(
        world.board, [world.event(uln, id="EV1"), world.event(uln, id="EV2", grade="Merit")]
    )
    other = world.other_college
    assert service.read_plr(other, uln, "restricted").code == "WSEC0006"
    me = AsLearner(uln)
    made = service.nominate(me, OTHER_COLLEGE, view="restricted", shared=["EV2"])
    assert made.code == "WSRC0006"
    seen = service.read_plr(other, uln, "restricted")
    assert seen.code == "WSRC0004"
    assert seen.view is not None
    assert set(seen.view.details) <= set(BASIC_DETAILS)
    assert "email" not in seen.view.details
    assert "postcode" not in seen.view.details
    assert seen.view.event_ids == ("EV2",)
    brief = service.read_plr(other, uln, "brief")
    assert brief.view.event_ids == ("EV2",)
    assert set(brief.view.events[0]) == set(BRIEF_EVENT_FIELDS)
    assert service.read_plr(other, uln, "full").code == "WSEC0006"
    assert service.read_plr(world.college, uln, "restricted").code == "WSEC0006"
    assert service.withdraw(me, OTHER_COLLEGE).code == "WSRC0006"
    assert service.read_plr(other, uln, "restricted").code == "WSEC0006"
    assert service.withdraw(me, OTHER_COLLEGE).code == "WSRC0020"


def test_a_nomination_for_the_full_view(world: World) -> None:
    service = world.service
    uln = world.register()
    service.add_event(world.board, world.event(uln, id="EV1"))
    service.nominate(AsLearner(uln), OTHER_COLLEGE, view="full")
    full = service.read_plr(world.other_college, uln, "full")
    assert full.code == "WSRC0004"
    assert full.view.details["postcode"] is not None
    assert full.view.event_ids == ("EV1",)


def test_a_learner_who_opted_out_is_shared_with_nobody(world: World) -> None:
    service = world.service
    uln = world.register(
        VerificationType="2", AbilityToShare=str(int(AbilityToShare.SEEN_MAY_SHARE))
    )
    service.nominate(AsLearner(uln), OTHER_COLLEGE, view="full")
    assert service.read_plr(world.other_college, uln, "full").code == "WSRC0004"
    store = service.register.store
    learner = store.get(uln)
    assert learner is not None
    old = AbilityToShare.SEEN_MAY_NOT_SHARE
    store.replace(
        attrs.evolve(learner, ability_to_share=old, version=2),
        expected_version=1,
        keys=None,
        identity=None,
    )  # an opt-out recorded before 2018 (no new ones are accepted)
    refused = service.read_plr(world.other_college, uln, "restricted")
    assert refused.code == "WSEC0206"
    assert refused.view is None
    assert refused.meaning == "the learner has not agreed to share"
    assert service.read_plr(world.college, uln).code == "WSEC0006"  # not nominated
    assert service.read_plr(AsLearner(uln), uln).code == "WSRC0004"  # their own


def test_sharing_only_the_learners_own_events(world: World) -> None:
    service = world.service
    uln = world.register()
    someone = world.register(YOUNG)
    service.add_event(world.board, world.event(someone, id="THEIRS"))
    with pytest.raises(InvalidRecord) as refused:
        service.nominate(AsLearner(uln), OTHER_COLLEGE, shared=["THEIRS"])
    assert refused.value.fields == ("SharedEvents",)
    assert service.register.store.nominations(uln) == []


def test_plr_reads_are_audited_per_learner_and_per_organisation(world: World) -> None:
    service = world.service
    uln = world.register()
    service.nominate(AsLearner(uln), OTHER_COLLEGE)
    service.read_plr(world.other_college, uln, "restricted")
    mine = service.audit(AsLearner(uln), uln=uln)
    reads = [e for e in mine.audit if e.action == "plr_read"]
    assert [(e.organisation, e.user, e.detail) for e in reads] == [
        (OTHER_COLLEGE, "dewi", "restricted view")
    ]
    theirs = service.audit(world.other_college, organisation=OTHER_COLLEGE).audit
    assert [e.action for e in theirs] == ["plr_read"]
    assert service.audit(world.college, organisation=OTHER_COLLEGE).code == "WSEC0006"
    assert service.audit(AsLearner(uln), uln=world.register(YOUNG)).code == "WSEC0006"
    everything = service.audit(LRS).audit
    assert {"register", "register_learner", "nominate", "plr_read"} <= {
        e.action for e in everything
    }


def test_a_bad_view_name_is_refused_naming_the_field(world: World) -> None:
    uln = world.register()
    with pytest.raises(InvalidCode) as bad:
        world.service.read_plr(AsLearner(uln), uln, "everything")
    assert bad.value.field == "view"
    assert world.service.read_plr(world.college, "1234567890").code == "WSEC0136"
    assert world.service.read_plr(world.college, "9276308686").code == "WSEC0006"  # nobody


def test_an_employer_reads_only_what_the_learner_shares_and_nothing_else(world: World) -> None:
    service = world.service
    with pytest.warns(UlnWarning):
        made = service.add_organisation(
            LRS,
            Organisation.create(ukprn="10088888", name="Trafnidiaeth Cymru", kind="other"),
            super_user="gareth",
        )
    employer = made.user
    assert employer is not None
    uln = world.register()
    service.add_events(world.board, [world.event(uln, id="EV1"), world.event(uln, id="EV2")])
    assert service.find_by_uln(employer, uln, "Huw", "Pugh").code == "WSEC0006"
    assert service.verify_learner(employer, uln, "Huw", "Pugh").code == "WSEC0006"
    assert service.register_learner(employer, YOUNG).code == "WSEC0006"
    assert service.read_plr(employer, uln, "restricted").code == "WSEC0006"
    service.nominate(AsLearner(uln), "10088888", shared=["EV1"])
    seen = service.read_plr(employer, uln, "restricted")
    assert seen.code == "WSRC0004"
    assert seen.view is not None
    assert seen.view.event_ids == ("EV1",)
    assert service.read_plr(employer, uln, "full").code == "WSEC0006"


def test_the_access_layer_imports_without_any_extra() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "for name in ('sqlalchemy', 'click', 'hypothesis', 'alembic'):\n"
        "    sys.modules[name] = None\n"
        "import uln.register, uln.plr.service, uln.plr.access, uln.plr.views, uln.plr.privacy\n"
        "service = uln.plr.service.PlrService(uln.register.open('memory://'))\n"
        "print(uln.plr.privacy.render_privacy_notice('X', lang='cy').split()[0])\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "Hysbysiad"
