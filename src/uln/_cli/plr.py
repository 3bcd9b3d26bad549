"""The ``uln plr``, ``uln org`` and ``uln privacy-notice`` commands.

``uln plr show ULN --view full|brief|restricted --as USER`` reads a Personal Learning
Record as a user (or ``--as learner``: the learner themselves), ``uln plr add-event``
uploads an achievement as an awarding organisation's user, ``uln plr nominate`` lets
an organisation see the learner's record (as the learner), ``uln org add`` sets up an
organisation and its first super user (as the LRS: whoever runs the register),
``uln org add-user`` adds a user as a super user, and ``uln privacy-notice`` prints the
privacy notice in English or Welsh.

A user signs in with their access key: ``--access-key`` or the ``ULN_ACCESS_KEY``
environment variable (never echoed). The register is ``--register URL``, else
``ULN_REGISTER``, else ``./uln.sqlite3``. A refusal prints its LRS code (``WSEC0006``
insufficient access, ``WSEC0206`` not shared) and exits 1.

>>> from click.testing import CliRunner
>>> result = CliRunner().invoke(privacy_notice, ["--provider", "Coleg Gwent", "--lang", "cy"])
>>> print(result.output.splitlines()[0])
Hysbysiad preifatrwydd: eich Rhif Dysgwr Unigryw a'ch Cofnod Dysgu Personol
"""

from __future__ import annotations

import json
import warnings
from typing import Any, Final

import click

from uln._cli.register import _open
from uln._cli.register import register_option as _register_option
from uln.errors import UlnError, UlnWarning
from uln.plr.access import LRS, Action, AsLearner, Party
from uln.plr.privacy import PRIVACY_LANGUAGES, render_privacy_notice
from uln.plr.records import LearningEvent, Organisation, Role, User
from uln.plr.service import PlrResult, PlrService
from uln.plr.views import VIEWS, PlrView

__all__ = ["commands", "org_group", "plr_group", "privacy_notice"]

LEARNER: Final = "learner"
"""``--as learner``: the learner whose ULN is given acts themselves."""

_as_option = click.option(
    "--as",
    "acting",
    required=True,
    metavar="USER",
    help="Act as this user (their access key from --access-key or ULN_ACCESS_KEY), "
    "or 'learner' for the learner themselves.",
)
_key_option = click.option(
    "--access-key",
    "access_key",
    envvar="ULN_ACCESS_KEY",
    default=None,
    help="The acting user's access key (or ULN_ACCESS_KEY).",
)


def _service(url: str) -> PlrService:
    return PlrService(_open(url))


def _signed_in(
    service: PlrService, user: str, access_key: str | None, uln: str | None
) -> User | AsLearner:
    if user == LEARNER:
        if uln is None:
            raise click.UsageError("--as learner needs the learner's ULN")
        try:
            return AsLearner(uln)
        except UlnError as exc:
            raise click.ClickException(str(exc)) from None
    if not access_key:
        raise click.UsageError("give the user's access key: --access-key or ULN_ACCESS_KEY")
    found = service.authenticate(user, access_key)
    if found is None:
        raise click.ClickException("not signed in: unknown user or wrong access key")
    return found


def _refuse(result: PlrResult | Any) -> None:
    reason = f" ({result.reason})" if getattr(result, "reason", "") else ""
    click.echo(f"{result.code}  {result.meaning}{reason}", err=True)
    raise SystemExit(1)


def _warn(result: PlrResult) -> None:
    for message in result.warnings:
        click.echo(f"warning: {message}", err=True)


def _show_value(value: Any) -> str:
    if isinstance(value, tuple):
        return ", ".join(str(_show_value(v)) for v in value)
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    if hasattr(value, "value"):
        return str(value.value)
    return str(value)


def _print_view(view: PlrView) -> None:
    click.echo(f"ULN: {view.uln}  ({view.view} view)")
    for name, value in view.details.items():
        if name != "uln":
            click.echo(f"{name}: {_show_value(value)}")
    click.echo(f"events: {len(view.events)}")
    for event in view.events:
        click.echo("  " + "  ".join(f"{k}={_show_value(v)}" for k, v in event.items()))


@click.group("plr")
def plr_group() -> None:
    """Personal Learning Records: read one, upload achievements, nominate organisations."""


@plr_group.command("show")
@click.argument("uln")
@click.option(
    "--view",
    type=click.Choice(VIEWS),
    default="full",
    show_default=True,
    help="full (the learner's own), brief (the LRS BRIEF fields), restricted (basic "
    "details and the events the learner shared).",
)
@_as_option
@_key_option
@_register_option
@click.option("--json", "as_json", is_flag=True, help="Print the view as JSON.")
def show(uln: str, view: str, acting: str, access_key: str | None, url: str, as_json: bool) -> None:
    """Read a learner's PLR as USER; the read is audited. Exits 1 when refused."""
    with _service(url) as service:
        actor = _signed_in(service, acting, access_key, uln)
        try:
            result = service.read_plr(actor, uln, view)
        except UlnError as exc:
            raise click.ClickException(str(exc)) from None
    if result.view is None:
        _refuse(result)
        return
    if as_json:
        click.echo(json.dumps(result.view.as_dict(), ensure_ascii=False))
    else:
        _print_view(result.view)


@plr_group.command("add-event")
@click.argument("uln")
@_as_option
@_key_option
@click.option("--subject-code", required=True, help="QCF unit code (K/501/5773) or similar.")
@click.option("--subject", required=True, help="The subject, as the learner will read it.")
@click.option("--level", required=True, help="Entry 1..3 or 1..8.")
@click.option("--credits", required=True, type=click.IntRange(min=0), help="QCF credits.")
@click.option("--award-date", required=True, help="YYYY-MM-DD.")
@click.option("--grade", default="", help="The grade awarded.")
@click.option("--qualification-type", default="QCF unit", show_default=True)
@click.option("--provider-ukprn", required=True, help="The UKPRN of the provider.")
@click.option("--provider-name", required=True, help="The provider's name.")
@click.option(
    "--status", type=click.Choice(["final", "provisional"]), default="final", show_default=True
)
@click.option("--id", "event_id", default=None, help="The event id (default: a new one).")
@_register_option
def add_event(
    uln: str,
    acting: str,
    access_key: str | None,
    subject_code: str,
    subject: str,
    level: str,
    credits: int,
    award_date: str,
    grade: str,
    qualification_type: str,
    provider_ukprn: str,
    provider_name: str,
    status: str,
    event_id: str | None,
    url: str,
) -> None:
    """Upload an achievement for ULN as a user of the awarding organisation (its own
    qualifications only; a linked ULN's event lands on the master)."""
    with _service(url) as service:
        actor = _signed_in(service, acting, access_key, uln)
        if isinstance(actor, AsLearner):  # the policy refuses a learner's upload
            decision = service.policy.check(Party.LEARNER, Action.ADD_EVENT)
            _refuse(PlrResult(decision.code or "WSEC0006", reason=decision.reason))
            return
        organisation = service.register.store.get_organisation(actor.organisation)
        if organisation is None:
            raise click.ClickException("the user's organisation is not known")
        try:
            event = LearningEvent.create(
                id=event_id,
                uln=uln,
                provider_ukprn=provider_ukprn,
                provider_name=provider_name,
                awarding_ukprn=organisation.ukprn,
                awarding_name=organisation.name,
                qualification_type=qualification_type,
                subject_code=subject_code,
                subject=subject,
                award_date=award_date,
                credits=credits,
                level=level,
                grade=grade,
                status=status,
            )
            result = service.add_event(actor, event)
        except UlnError as exc:
            raise click.ClickException(str(exc)) from None
    if result.refused:
        _refuse(result)
    stored = result.events[0]
    click.echo(f"{result.code}  event {stored.id} added for {stored.uln}")


@plr_group.command("nominate")
@click.argument("uln")
@click.option("--organisation", required=True, help="The UKPRN of the organisation nominated.")
@click.option(
    "--view",
    type=click.Choice(["restricted", "full"]),
    default="restricted",
    show_default=True,
    help="restricted: basic details and the shared events; full: the whole record.",
)
@click.option("--share", "shared", multiple=True, help="An event id to share (repeat).")
@click.option("--withdraw", is_flag=True, help="Withdraw the organisation's nomination.")
@_register_option
def nominate(
    uln: str, organisation: str, view: str, shared: tuple[str, ...], withdraw: bool, url: str
) -> None:
    """As the learner with ULN, let an organisation see the record (or --withdraw)."""
    with _service(url) as service:
        actor = _signed_in(service, LEARNER, None, uln)
        try:
            if withdraw:
                result = service.withdraw(actor, organisation)
            else:
                result = service.nominate(actor, organisation, view=view, shared=shared)
        except UlnError as exc:
            raise click.ClickException(str(exc)) from None
    if result.refused:
        _refuse(result)
    click.echo(f"{result.code}  {result.meaning}")


@click.group("org")
def org_group() -> None:
    """Organisations and their users."""


@org_group.command("add")
@click.argument("ukprn")
@click.option("--name", required=True, help="The organisation's name.")
@click.option(
    "--kind",
    type=click.Choice(["lrb", "ao", "other"]),
    required=True,
    help="lrb: registers learners; ao: an awarding organisation; other: an employer or "
    "careers adviser that reads only what learners share with it.",
)
@click.option("--super-user", required=True, help="The username of its first super user.")
@_register_option
def org_add(ukprn: str, name: str, kind: str, super_user: str, url: str) -> None:
    """Set up an organisation and its first super user (as the LRS running the
    register); prints the super user's access key, once."""
    with _service(url) as service, warnings.catch_warnings():
        warnings.simplefilter("ignore", UlnWarning)
        try:
            organisation = Organisation.create(ukprn=ukprn, name=name, kind=kind)
            result = service.add_organisation(LRS, organisation, super_user=super_user)
        except UlnError as exc:
            raise click.ClickException(str(exc)) from None
    _warn(result)
    click.echo(f"organisation {organisation.ukprn} added; super user {super_user}")
    click.echo(f"access key (shown once): {result.access_key}")


@org_group.command("add-user")
@click.argument("username")
@_as_option
@_key_option
@click.option("--super-user", "make_super", is_flag=True, help="Make the new user a super user.")
@click.option("--organisation", default=None, help="The UKPRN (default: the acting super user's).")
@_register_option
def org_add_user(
    username: str,
    acting: str,
    access_key: str | None,
    make_super: bool,
    organisation: str | None,
    url: str,
) -> None:
    """Add a user to an organisation as one of its super users; prints their access
    key, once. Warns while the organisation has fewer than three super users."""
    with _service(url) as service, warnings.catch_warnings():
        warnings.simplefilter("ignore", UlnWarning)
        actor = _signed_in(service, acting, access_key, None)
        role = Role.SUPER_USER if make_super else Role.USER
        try:
            result = service.add_user(actor, username, organisation=organisation, role=role)
        except UlnError as exc:
            raise click.ClickException(str(exc)) from None
    if result.refused:
        _refuse(result)
    _warn(result)
    assert result.user is not None
    click.echo(f"user {username} added to {result.user.organisation} ({result.user.role.value})")
    click.echo(f"access key (shown once): {result.access_key}")


@click.command("privacy-notice")
@click.option(
    "--lang",
    type=click.Choice(PRIVACY_LANGUAGES),
    default="en",
    show_default=True,
    help="en: English; cy: Welsh.",
)
@click.option("--provider", required=True, help="The provider's name, filled into the notice.")
def privacy_notice(lang: str, provider: str) -> None:
    """Print the privacy (fair processing) notice to show a learner before registering
    them, with the provider's name filled in."""
    try:
        text = render_privacy_notice(provider, lang=lang)
    except UlnError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(text, nl=False)


def commands() -> list[click.Command]:
    """The commands to add to ``uln``: ``plr``, ``org`` and ``privacy-notice``."""
    return [plr_group, org_group, privacy_notice]
