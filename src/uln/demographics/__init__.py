"""Normalisers for the learner's demographic fields, one module a field.

* :mod:`uln.demographics.names`: names (display form, comparison keys, aliases, Welsh
  patronymics);
* :mod:`uln.demographics.dates`: dates of birth and ages;
* :mod:`uln.demographics.postcodes`: UK postcodes;
* :mod:`uln.demographics.gender`: the LRS gender codes;
* :mod:`uln.demographics.email`: email addresses;
* :mod:`uln.demographics.phone`: telephone numbers (E.164);
* :mod:`uln.demographics.identifiers`: SCN, UCI, UPN and the MIS identifier.

Import what you need from the module itself: this package imports nothing, so
``import uln.demographics.names`` stays cheap.
"""
