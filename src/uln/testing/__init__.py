"""Tools for testing code that uses :mod:`uln`: Hypothesis strategies, realistic
perturbations of learners and contract test suites for registers.

Needs the ``testing`` extra (``pip install "uln[testing]"``).
"""
