"""Tools for testing code that uses :mod:`uln`: Hypothesis strategies, realistic
perturbations of learners, households, and the contract test suite for register backends
(:mod:`uln.testing.contract`: storage, batch runs and learning records).

Needs the ``testing`` extra (``pip install "uln[testing]"``).
"""
