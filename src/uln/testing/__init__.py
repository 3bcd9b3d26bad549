"""Tools for testing code that uses :mod:`uln`: Hypothesis strategies and realistic
perturbations of learners (contract test suites for registers will come with the
register, which is planned).

Needs the ``testing`` extra (``pip install "uln[testing]"``).
"""
