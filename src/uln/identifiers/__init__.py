"""Identifiers around the learner register: UKPRN, UPN, UCI, SCN and NI number.

Each module has the same small set of functions as :mod:`uln.checkdigit`:
``compact``, ``validate``, ``is_valid``, ``format`` and, where a check character
exists, ``calc_check_digit``.
"""
