"""Email addresses: the LRS rule, a normal form and a key for comparing.

The LRS field ``EmailAddress`` holds at most 254 characters: a local part of
dot-separated atoms, ``@``, and a domain whose labels start and end with a letter or
digit and whose top-level label is letters only [spec]. :func:`normalise_email`
checks exactly this (the table :data:`EMAIL_RULES` holds the details we chose), trims
the address and lower-cases the domain; the local part keeps its case because a
mail server may treat it as case-sensitive. Compare addresses with
:func:`email_key`, which folds the case of both parts.

Only ASCII addresses are accepted: no quoted local parts, comments, IP-address
domains or internationalised (Unicode) addresses.

>>> normalise_email(" Jo.Bloggs@Example.AC.UK ")
'Jo.Bloggs@example.ac.uk'
>>> email_key("Jo.Bloggs@Example.AC.UK") == email_key("jo.bloggs@example.ac.uk")
True
>>> normalise_email("jo..bloggs@example.com")
Traceback (most recent call last):
    ...
uln.errors.InvalidEmail: EmailAddress: the part before @ must be dot-separated atoms ...
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

import attrs

from uln.errors import InvalidEmail, InvalidFormat, InvalidLength, MissingValue, ValidationError

__all__ = ["EMAIL_RULES", "MAX_LENGTH", "EmailRules", "email_key", "normalise_email"]

MAX_LENGTH = 254
"""The length of the LRS field ``EmailAddress`` [spec]."""


@attrs.frozen
class EmailRules:
    """The details of the email rule: which the LRS states and which we chose."""

    specials: str = "!#$%&'*+/=?^_`{|}~-"
    """Characters allowed in an atom besides ASCII letters and digits: RFC 5322 atext
    [spec: "dot-separated atoms"]."""
    local_max: int = 64
    """The longest local part, as in RFC 5321 [ours]."""
    label_max: int = 63
    """The longest domain label, as in RFC 1035 [ours]."""
    labels_min: int = 2
    """The fewest labels in a domain: a top-level domain alone is refused [ours]."""
    tld_min: int = 2
    """The fewest letters in the top-level domain [ours]."""


EMAIL_RULES: Final = EmailRules()
"""The one table of email rules :func:`normalise_email` applies."""

_ATOM = f"[A-Za-z0-9{re.escape(EMAIL_RULES.specials)}]+"
_LOCAL = re.compile(rf"{_ATOM}(?:\.{_ATOM})*").fullmatch
_LABEL_PATTERN = rf"[A-Za-z0-9](?:[A-Za-z0-9-]{{0,{EMAIL_RULES.label_max - 2}}}[A-Za-z0-9])?"
_LABEL = re.compile(_LABEL_PATTERN).fullmatch
_TLD = re.compile(rf"[A-Za-z]{{{EMAIL_RULES.tld_min},}}").fullmatch
# The whole rule but the length of the local part in one step, for the common case:
# atoms, @, at least labels_min - 1 labels each followed by a dot, and a top-level
# label of letters (a label too, so at most label_max of them). The groups are the
# local part and the domain; an address it refuses takes the step-by-step path.
_ADDRESS = re.compile(
    rf"({_ATOM}(?:\.{_ATOM})*)@((?:{_LABEL_PATTERN}\.){{{EMAIL_RULES.labels_min - 1},}}"
    rf"[A-Za-z]{{{EMAIL_RULES.tld_min},{EMAIL_RULES.label_max}}})"
).fullmatch
_LOCAL_MAX = EMAIL_RULES.local_max
_MAX_INPUT = 4 * MAX_LENGTH  # anything longer is refused before any other work
_LABELS_MIN = EMAIL_RULES.labels_min

_RULE_AT = "an email address is a local part, one @ and a domain"
_RULE_LOCAL = (
    "the part before @ must be dot-separated atoms of letters, digits and "
    f"{EMAIL_RULES.specials} with no empty atom"
)
_RULE_LOCAL_LENGTH = f"the part before @ has at most {_LOCAL_MAX} characters"
_RULE_LABELS = f"the domain has at least {_LABELS_MIN} dot-separated labels"
_RULE_LABEL = (
    "each label of the domain is letters, digits and hyphens, starts and ends with a letter "
    f"or digit, and has at most {EMAIL_RULES.label_max} characters"
)
_RULE_TLD = f"the top-level domain is at least {EMAIL_RULES.tld_min} letters"


def normalise_email(text: str, *, field: str = "EmailAddress", max_length: int = MAX_LENGTH) -> str:
    """Check an email address and return it trimmed, with its domain in lower case.

    Args:
        text: the address.
        field: the field named in error messages.
        max_length: the longest address accepted (the LRS field holds 254).

    Raises:
        InvalidFormat: ``text`` is not a string.
        MissingValue: the text is empty or only whitespace.
        InvalidLength: the address is longer than ``max_length``.
        InvalidEmail: the address breaks the rule; the message says which part.

    >>> normalise_email("o'brien+ilr@Mail.Example.org")
    "o'brien+ilr@mail.example.org"
    >>> normalise_email("jo@example")
    Traceback (most recent call last):
        ...
    uln.errors.InvalidEmail: EmailAddress: the domain has at least 2 dot-separated labels
    """
    if not isinstance(text, str):
        raise InvalidFormat(
            f"an email address must be given as a string, not {type(text).__name__}",
            field=field,
        )
    if len(text) > _MAX_INPUT:  # not cached: a huge value must not stay in memory
        raise InvalidLength(f"an email address has at most {max_length} characters", field=field)
    result = _normalise(str(text))
    if isinstance(result, _Failure):
        raise result.error(result.rule, field=field)
    if len(result) > max_length:
        raise InvalidLength(f"an email address has at most {max_length} characters", field=field)
    return result


def email_key(text: object) -> str:
    """Return a key for comparing email addresses. Never raises.

    The address trimmed and case-folded as a whole: the LRS compares addresses
    case-insensitively. Any string gives a key, valid or not; a non-string gives ``""``.

    >>> email_key(" Jo@Example.COM ")
    'jo@example.com'
    """
    if not isinstance(text, str):
        return ""
    return text.strip().casefold()


# -- internals ---------------------------------------------------------------------------


@attrs.frozen
class _Failure:
    error: type[ValidationError]
    rule: str


@lru_cache(maxsize=16384)
def _normalise(text: str) -> str | _Failure:
    address = text.strip()
    common = _ADDRESS(address)
    if common is not None:
        local, domain = common.groups()
        if len(local) <= _LOCAL_MAX:
            return f"{local}@{domain.lower()}"
    if not address:
        return _Failure(MissingValue, "an email address is required")
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        return _Failure(InvalidEmail, _RULE_AT)
    if not _LOCAL(local):
        return _Failure(InvalidEmail, _RULE_AT if "@" in local else _RULE_LOCAL)
    if len(local) > _LOCAL_MAX:
        return _Failure(InvalidEmail, _RULE_LOCAL_LENGTH)
    labels = domain.split(".")
    if len(labels) < _LABELS_MIN:
        return _Failure(InvalidEmail, _RULE_LABELS)
    if not all(_LABEL(label) for label in labels):
        return _Failure(InvalidEmail, _RULE_LABEL)
    if not _TLD(labels[-1]):
        return _Failure(InvalidEmail, _RULE_TLD)
    return f"{local}@{domain.lower()}"
