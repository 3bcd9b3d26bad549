"""Identifiers around the learner register: UKPRN, UPN, UCI, SCN and NI number.

Each module has the same small set of functions as :mod:`uln.checkdigit`:
``compact``, ``validate``, ``is_valid``, ``format`` and, where a check character
exists, ``calc_check_digit``.

- :mod:`uln.identifiers.ukprn`: UK Provider Reference Number of a learning provider
  (8 digits; LRS test organisations with ``allow_test=True``).
- :mod:`uln.identifiers.upn`: Unique Pupil Number (13 characters, mod-23 check letter;
  ``is_temporary``).
- :mod:`uln.identifiers.uci`: Unique Candidate Identifier of an exam candidate
  (13 characters, mod-17 check letter).
- :mod:`uln.identifiers.scn`: Scottish Candidate Number (9 digits, mod-11 check digit).
- :mod:`uln.identifiers.nino`: National Insurance number (no check digit), which must
  not be used as a learner identifier: ``looks_like_nino`` spots one.

>>> from uln.identifiers import nino, scn, uci, ukprn, upn
>>> all(m.is_valid(v) for m, v in ((ukprn, '10001234'), (upn, 'B801200005001'),
...     (uci, '681990012058G'), (scn, '000000019'), (nino, 'AB123456C')))
True
"""

from __future__ import annotations

from uln.identifiers import nino, scn, uci, ukprn, upn

__all__ = ["nino", "scn", "uci", "ukprn", "upn"]
