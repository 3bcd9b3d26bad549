"""The privacy-notice report counts every registration, whatever path registered it.

A learner registered without having seen the privacy notice is allowed, and counted:
through :class:`PlrService`, through a batch run (a 3A file's ``PrivacyNoticeSeen``),
through an exception resolved with a new learner, or through the register used directly.
"""

from __future__ import annotations

import datetime as dt
import io
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

import uln.register
from uln.batch import exceptions, process, read, resolve, write_request
from uln.errors import UlnWarning
from uln.learner import Learner
from uln.plr import Organisation, User
from uln.plr.access import LRS
from uln.plr.service import PlrService, PrivacyReport

NOW = dt.datetime(2025, 9, 1, 12, 0, tzinfo=dt.UTC)
COLLEGE, OTHER = "10012345", "10099999"
FIRST = ["Al", "Bre", "Cad", "Dew", "Eir", "Fion", "Gwil", "Hyw", "Ior", "Mab"]


def _learner(i: int, seen: bool, **extra: Any) -> Learner:
    return Learner.from_raw(
        {
            "GivenName": FIRST[i % 10] + "wen",
            "FamilyName": FIRST[i // 10] + "son",
            "DateOfBirth": dt.date(1990 + i % 10, 1 + i // 10, 3),
            "Gender": "2",
            "LastKnownPostCode": f"CV{i + 1} 1EE",
            "PrivacyNoticeSeen": "1" if seen else "0",
            **extra,
        }
    )


@pytest.fixture(params=["memory", "sqlite"])
def register(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'r.sqlite3'}"
    opened = uln.register.open(url)
    yield opened
    opened.close()


@pytest.fixture
def service(register: Any) -> tuple[PlrService, User]:
    plr = PlrService(register, clock=lambda: NOW, secret_cost=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UlnWarning)
        made = plr.add_organisation(
            LRS, Organisation.create(ukprn=COLLEGE, name="Coleg Gwent", kind="lrb"), super_user="c"
        )
    assert made.user is not None
    return plr, made.user


def _report(service: tuple[PlrService, User]) -> PrivacyReport:
    plr, user = service
    report = plr.privacy_report(user, COLLEGE)
    assert isinstance(report, PrivacyReport)
    return report


def test_a_3a_batch_run_counts_the_learners_who_did_not_see_the_notice(
    register: Any, service: tuple[PlrService, User]
) -> None:
    people = [_learner(i, seen=i % 3 != 0) for i in range(12)]
    data = io.BytesIO()
    write_request(people, data, ukprn=COLLEGE, version="3A", allow_small=True,
                  when=dt.datetime(2025, 9, 1, 9, 30))  # fmt: skip
    result = process(read(io.BytesIO(data.getvalue())), register, allow_small=True)
    assert [r.code for r in result.learners] == ["RC002"] * 12
    unseen = sorted(str(r.uln) for r in result.learners if r.index % 3 == 0)
    report = _report(service)
    assert (report.registered, report.without_notice, report.ulns) == (12, 4, tuple(unseen))
    # the same file again registers nobody, and counts nobody twice
    process(read(io.BytesIO(data.getvalue())), register, allow_small=True)
    assert _report(service) == report


def test_the_register_used_directly_is_counted_and_a_later_notice_does_not_hide_it(
    register: Any, service: tuple[PlrService, User]
) -> None:
    plr, user = service
    unseen = register.register_learner(_learner(0, seen=False), organisation=COLLEGE)
    seen = register.register_learner(_learner(1, seen=True), organisation=COLLEGE)
    shared = register.register_learner(
        _learner(2, seen=False, AbilityToShare="1"), organisation=COLLEGE
    )  # a 2A row: AbilityToShare 1 says the notice was seen
    other = register.register_learner(_learner(3, seen=False), organisation=OTHER)
    assert {r.code for r in (unseen, seen, shared, other)} == {"WSRC0005"}
    report = _report(service)
    assert (report.registered, report.without_notice, report.ulns) == (3, 1, (unseen.uln,))
    # the notice recorded afterwards: still registered without it
    assert plr.record_privacy_notice(user, unseen.uln).code == "WSRC0006"
    stored = register.get(unseen.uln)
    assert stored is not None
    assert stored.version == 2
    assert _report(service) == report
    # through the service, and directly, in one report, each learner once
    via_service = plr.register_learner(user, _learner(4, seen=False))
    assert via_service.code == "WSRC0005"
    later = _report(service)
    assert later.registered == 4
    assert later.ulns == tuple(sorted([str(unseen.uln), str(via_service.uln)]))


def test_a_learner_loaded_with_a_uln_is_not_a_registration(
    register: Any, service: tuple[PlrService, User]
) -> None:
    loaded = register.load(
        attrs.evolve(_learner(5, seen=False), uln="2951053710"), organisation=COLLEGE
    )
    assert loaded.code == "WSRC0005"
    assert _report(service).registered == 0


def test_an_exception_resolved_with_a_new_learner_is_counted(
    register: Any, service: tuple[PlrService, User]
) -> None:
    register.register_learner(_learner(6, seen=True), organisation=COLLEGE)
    twin = _learner(6, seen=False, DateOfBirth="1996-09-10")  # like the first: a person decides
    data = io.BytesIO()
    write_request([twin], data, ukprn=COLLEGE, version="3A", allow_small=True,
                  when=dt.datetime(2025, 9, 1, 9, 30))  # fmt: skip
    result = process(read(io.BytesIO(data.getvalue())), register, allow_small=True)
    assert result.learners[0].code == "RC007"
    assert _report(service).without_notice == 0
    item = exceptions(register, batch=result)[0]
    done = resolve(register, item.id, organisation=COLLEGE, register_new=True)
    assert done.code == "RC002"
    report = _report(service)
    assert (report.registered, report.ulns) == (2, (done.uln,))
