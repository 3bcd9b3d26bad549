"""The SQL register's rows and records: each record to the row stored, and back.

Learners and exceptions are stored as JSON; learning records, organisations, users and
nominations column by column, each rebuilt through its class, which checks it.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from collections.abc import Sequence
from typing import Any

from uln.learner import Learner
from uln.matching import MatchRecord, match_record
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
from uln.register import _sql_tables as t
from uln.register.base import AuditEvent, BatchRun, ExceptionItem, ExceptionKind, ExceptionStatus


def _dump(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _learner_json(learner: Learner) -> str:
    return _dump(learner.to_dict())


def _load_learner(data: str) -> Learner:
    return Learner.from_dict(json.loads(data))


def _match_record_of(data: str) -> MatchRecord:
    """The match record of a stored learner, read from its stored demographics as they
    are (the learner's normalised fields, by name): the same record as from the whole
    :class:`~uln.Learner`, without building it (a find reads dozens of candidates, and
    building each was half its time)."""
    demographics = json.loads(data).get("demographics") or {}
    return match_record(demographics) if demographics else match_record(None)


def _stored(text: str, length: int) -> str:
    """``text`` as stored in an indexed column: a digest when it is too long."""
    if len(text) <= length:
        return text
    return text[:1] + "#" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _name_keys(learner: Learner) -> tuple[str | None, str | None]:
    record = match_record(learner.demographics)
    given = None if record.given is None else _stored(record.given.key, t.NAME_LENGTH)
    family = None if record.family is None else _stored(record.family.key, t.NAME_LENGTH)
    return given, family


def _learner_row(learner: Learner, keys: Sequence[str] | None, identity: str | None) -> Any:
    given, family = (None, None) if keys is None else _name_keys(learner)
    return {
        "uln": learner.uln,
        "version": learner.version,
        "master_uln": learner.master_uln,
        "identity": identity,
        "searchable": keys is not None,
        "given_key": given,
        "family_key": family,
        "data": _learner_json(learner),
    }


def _key_rows(uln: str, keys: Sequence[str]) -> list[dict[str, str]]:
    stored = dict.fromkeys(_stored(key, t.KEY_LENGTH) for key in keys)
    return [{"key": key, "uln": uln} for key in stored]


def _exception_data(item: ExceptionItem) -> str:
    return _dump(
        {
            "learner": item.learner.to_dict(),
            "created": item.created.isoformat(),
            "candidates": list(item.candidates),
            "resolved_uln": item.resolved_uln,
            "resolved": None if item.resolved is None else item.resolved.isoformat(),
            "batch": item.batch,
            "line": item.line,
        }
    )


def _exception_item(row: Any) -> ExceptionItem:
    data = json.loads(row.data)
    resolved = data["resolved"]
    return ExceptionItem(
        kind=ExceptionKind(row.kind),
        learner=Learner.from_dict(data["learner"]),
        organisation=row.organisation,
        created=_dt.datetime.fromisoformat(data["created"]),
        candidates=tuple(data["candidates"]),
        status=ExceptionStatus(row.status),
        resolved_uln=data["resolved_uln"],
        resolved=None if resolved is None else _dt.datetime.fromisoformat(resolved),
        batch=data["batch"],
        line=data["line"],
        id=row.id,
    )


def _audit_event(row: Any) -> AuditEvent:
    return AuditEvent(
        at=_dt.datetime.fromisoformat(row.at),
        organisation=row.organisation,
        action=row.action,
        uln=row.uln,
        version=row.version,
        fields=tuple(json.loads(row.fields)),
        user=row.user,
        detail=row.detail,
    )


def _batch_run(row: Any) -> BatchRun:
    return BatchRun(
        key=row.key,
        ukprn=row.ukprn,
        file_name=row.file_name,
        total=row.total,
        started=_dt.datetime.fromisoformat(row.started),
        finished=None if row.finished is None else _dt.datetime.fromisoformat(row.finished),
    )


# (p13: learning records; each record is rebuilt through its class, which checks it)


def _event_row(event: LearningEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "uln": event.uln,
        "provider_ukprn": event.provider_ukprn,
        "provider_name": event.provider_name,
        "awarding_ukprn": event.awarding_ukprn,
        "awarding_name": event.awarding_name,
        "qualification_type": event.qualification_type,
        "subject_code": event.subject_code,
        "subject": event.subject,
        "award_date": event.award_date.isoformat(),
        "credits": event.credits,
        "level": event.level.value,
        "grade": event.grade,
        "status": event.status.value,
        "source": event.source,
        "loaded": event.loaded.isoformat(),
        "under_challenge": event.under_challenge,
        "restriction": event.restriction,
    }


def _event(row: Any) -> LearningEvent:
    return LearningEvent(
        id=row.id,
        uln=row.uln,
        provider_ukprn=row.provider_ukprn,
        provider_name=row.provider_name,
        awarding_ukprn=row.awarding_ukprn,
        awarding_name=row.awarding_name,
        qualification_type=row.qualification_type,
        subject_code=row.subject_code,
        subject=row.subject,
        award_date=_dt.date.fromisoformat(row.award_date),
        credits=int(row.credits),
        level=Level(row.level),
        grade=row.grade,
        status=EventStatus(row.status),
        source=row.source,
        loaded=_dt.date.fromisoformat(row.loaded),
        under_challenge=bool(row.under_challenge),
        restriction=row.restriction,
    )


def _organisation(row: Any) -> Organisation:
    return Organisation(ukprn=row.ukprn, name=row.name, kind=OrganisationKind(row.kind))


def _user_row(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "organisation": user.organisation,
        "role": user.role.value,
        "active": user.active,
        "secret_hash": user.secret_hash,
    }


def _user(row: Any) -> User:
    return User(
        id=row.id,
        organisation=row.organisation,
        role=Role(row.role),
        active=bool(row.active),
        secret_hash=row.secret_hash,
    )


def _nomination(row: Any) -> Nomination:
    return Nomination(
        uln=row.uln,
        organisation=row.organisation,
        view=NominationView(row.view),
        created=_dt.datetime.fromisoformat(row.created),
        shared=tuple(json.loads(row.shared)),
        withdrawn=None if row.withdrawn is None else _dt.datetime.fromisoformat(row.withdrawn),
        id=int(row.id),
    )
