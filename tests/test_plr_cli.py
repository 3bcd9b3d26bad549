"""``uln plr``, ``uln org`` and ``uln privacy-notice`` through click's test runner."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import pytest

pytest.importorskip("click")
pytest.importorskip("sqlalchemy")

from click.testing import CliRunner

import uln.register
from uln._cli.app import cli
from uln.errors import UlnWarning
from uln.plr.service import PlrService

HUW = {
    "GivenName": "Huw",
    "FamilyName": "Pugh",
    "DateOfBirth": "2005-06-07",
    "Gender": "1",
    "LastKnownPostCode": "LL57 2DG",
    "VerificationType": "2",
    "EmailAddress": "huw@example.org",
}


def _key(output: str) -> str:
    found = re.search(r"access key \(shown once\): (\S+)", output)
    assert found is not None, output
    return found.group(1)


@pytest.fixture
def setup(tmp_path: Path) -> dict[str, str]:
    """A register file with a college (super user carys) and an awarding organisation
    (super user aled), each made with ``uln org add``, and one learner."""
    path = str(tmp_path / "uln.sqlite3")
    runner = CliRunner()
    keys = {"register": path}
    for ukprn, name, kind, user in (
        ("10012345", "Coleg Gwent", "lrb", "carys"),
        ("10054321", "WJEC", "ao", "aled"),
        ("10099999", "Coleg Sir Gar", "lrb", "dewi"),
    ):
        result = runner.invoke(
            cli,
            ["org", "add", ukprn, "--name", name, "--kind", kind, "--super-user", user,
             "--register", path],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert "1 super user; at least 3 are recommended" in result.output
        keys[user] = _key(result.output)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UlnWarning)
        service = PlrService(uln.register.open(f"sqlite:///{path}"))
        with service:
            carys = service.authenticate("carys", keys["carys"])
            assert carys is not None
            registered = service.register_learner(carys, HUW)
            assert registered.uln is not None
            keys["uln"] = registered.uln
    return keys


def _run(setup: dict[str, str], *args: str, key: str | None = None) -> object:
    env = {"ULN_ACCESS_KEY": key} if key else {}
    return CliRunner().invoke(cli, [*args, "--register", setup["register"]], env=env)


def test_an_awarding_organisation_adds_an_event_and_the_learner_reads_it(
    setup: dict[str, str],
) -> None:
    uln = setup["uln"]
    added = _run(
        setup,
        "plr", "add-event", uln, "--as", "aled", "--subject-code", "k/501/5773",
        "--subject", "Using email", "--level", "Entry 3", "--credits", "3",
        "--award-date", "2025-07-01", "--grade", "Pass", "--provider-ukprn", "10012345",
        "--provider-name", "Coleg Gwent", "--id", "EV1",
        key=setup["aled"],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert f"event EV1 added for {uln}" in added.output
    shown = _run(setup, "plr", "show", uln, "--as", "learner")
    assert shown.exit_code == 0, shown.output
    assert "given_name: Huw" in shown.output
    assert "subject_code=K/501/5773" in shown.output
    brief = _run(setup, "plr", "show", uln, "--as", "learner", "--view", "brief", "--json")
    data = json.loads(brief.output)
    assert data["details"] == {"uln": uln}
    assert set(data["events"][0]) == {
        "id", "award_date", "credits", "source", "level", "subject", "grade", "subject_code",
        "provider_ukprn",
    }  # fmt: skip


def test_a_college_cannot_upload_an_event(setup: dict[str, str]) -> None:
    refused = _run(
        setup,
        "plr", "add-event", setup["uln"], "--as", "carys", "--subject-code", "K/501/5773",
        "--subject", "Using email", "--level", "1", "--credits", "3",
        "--award-date", "2025-07-01", "--provider-ukprn", "10012345",
        "--provider-name", "Coleg Gwent",
        key=setup["carys"],
    )  # fmt: skip
    assert refused.exit_code == 1
    assert "WSEC0006" in refused.output
    learner = _run(
        setup,
        "plr", "add-event", setup["uln"], "--as", "learner", "--subject-code", "K/501/5773",
        "--subject", "Using email", "--level", "1", "--credits", "3",
        "--award-date", "2025-07-01", "--provider-ukprn", "10012345",
        "--provider-name", "Coleg Gwent",
    )  # fmt: skip
    assert learner.exit_code == 1
    assert "WSEC0006" in learner.output


def test_a_malformed_subject_code_is_refused_naming_the_field(setup: dict[str, str]) -> None:
    refused = _run(
        setup,
        "plr", "add-event", setup["uln"], "--as", "aled", "--subject-code", "K501/5773",
        "--subject", "Using email", "--level", "1", "--credits", "3",
        "--award-date", "2025-07-01", "--provider-ukprn", "10012345",
        "--provider-name", "Coleg Gwent",
        key=setup["aled"],
    )  # fmt: skip
    assert refused.exit_code == 1
    assert "SubjectCode" in refused.output


def test_an_organisation_not_nominated_is_refused_and_a_nominated_one_sees_restricted(
    setup: dict[str, str],
) -> None:
    learner = setup["uln"]
    refused = _run(setup, "plr", "show", learner, "--as", "dewi", key=setup["dewi"])
    assert refused.exit_code == 1
    assert "WSEC0006" in refused.output
    assert "Huw" not in refused.output
    nominated = _run(setup, "plr", "nominate", learner, "--organisation", "10099999")
    assert nominated.exit_code == 0, nominated.output
    assert nominated.output.startswith("WSRC0006")
    restricted = _run(
        setup, "plr", "show", learner, "--as", "dewi", "--view", "restricted", "--json",
        key=setup["dewi"],
    )  # fmt: skip
    assert restricted.exit_code == 0, restricted.output
    data = json.loads(restricted.output)
    assert set(data["details"]) <= {"uln", "given_name", "family_name", "date_of_birth"}
    assert "huw@example.org" not in restricted.output
    assert data["events"] == []
    assert _run(setup, "plr", "show", learner, "--as", "dewi", key=setup["dewi"]).exit_code == 1
    withdrawn = _run(setup, "plr", "nominate", learner, "--organisation", "10099999", "--withdraw")
    assert withdrawn.output.startswith("WSRC0006")
    again = _run(setup, "plr", "show", learner, "--as", "dewi", "--view", "restricted",
                 key=setup["dewi"])  # fmt: skip
    assert again.exit_code == 1
    unknown = _run(setup, "plr", "nominate", learner, "--organisation", "10011111")
    assert unknown.exit_code == 1
    assert "UKPRN" in unknown.output


def test_signing_in_needs_the_right_key(setup: dict[str, str]) -> None:
    uln = setup["uln"]
    wrong = _run(setup, "plr", "show", uln, "--as", "dewi", key="not-the-key")
    assert wrong.exit_code == 1
    assert "not signed in" in wrong.output
    missing = _run(setup, "plr", "show", uln, "--as", "dewi")
    assert missing.exit_code == 2
    assert "access key" in missing.output


def test_super_users_add_users(setup: dict[str, str]) -> None:
    added = _run(setup, "org", "add-user", "sam", "--as", "carys", key=setup["carys"])
    assert added.exit_code == 0, added.output
    assert "user sam added to 10012345 (user)" in added.output
    sam = _key(added.output)
    assert sam not in (setup["carys"], setup["aled"])
    refused = _run(setup, "org", "add-user", "friend", "--as", "sam", key=sam)
    assert refused.exit_code == 1
    assert "WSEC0006" in refused.output
    second = _run(
        setup, "org", "add-user", "gwen", "--super-user", "--as", "carys", key=setup["carys"]
    )
    assert "2 super users; at least 3 are recommended" in second.output
    elsewhere = _run(
        setup, "org", "add-user", "x", "--organisation", "10054321", "--as", "carys",
        key=setup["carys"],
    )  # fmt: skip
    assert elsewhere.exit_code == 1


def test_org_add_refuses_a_bad_ukprn_and_a_taken_one(setup: dict[str, str]) -> None:
    bad = _run(setup, "org", "add", "1234", "--name", "X", "--kind", "lrb", "--super-user", "y")
    assert bad.exit_code == 1
    assert "UKPRN" in bad.output
    taken = _run(
        setup, "org", "add", "10012345", "--name", "X", "--kind", "lrb", "--super-user", "y"
    )
    assert taken.exit_code == 1


@pytest.mark.parametrize(("lang", "first"), [("en", "Privacy notice"), ("cy", "Hysbysiad")])
def test_privacy_notice(lang: str, first: str) -> None:
    result = CliRunner().invoke(
        cli, ["privacy-notice", "--lang", lang, "--provider", "Coleg Gwent"]
    )
    assert result.exit_code == 0
    assert result.output.startswith(first)
    assert "Coleg Gwent" in result.output


def test_privacy_notice_bad_input() -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["privacy-notice", "--lang", "fr", "--provider", "X"]).exit_code == 2
    empty = runner.invoke(cli, ["privacy-notice", "--provider", " "])
    assert empty.exit_code == 1
    assert "provider" in empty.output
