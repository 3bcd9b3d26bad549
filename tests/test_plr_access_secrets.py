"""Access keys are kept as scrypt hashes, checked in constant time, never shown."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uln.plr.access import check_secret, hash_secret, new_access_key

secrets_ = st.text(min_size=1, max_size=40)


@given(secrets_, secrets_)
@settings(max_examples=30)
def test_a_secret_checks_against_its_own_hash_only(secret: str, other: str) -> None:
    stored = hash_secret(secret, cost=2)
    assert check_secret(secret, stored)
    assert check_secret(other, stored) == (other == secret)
    if len(secret) >= 4:
        assert secret not in stored


def test_hashes_are_salted_and_describe_themselves() -> None:
    first, second = hash_secret("same key"), hash_secret("same key")
    assert first != second
    assert first.startswith("scrypt$n=16384,r=8,p=1$")
    assert check_secret("same key", first)
    assert check_secret("same key", second)


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "plain text",
        "scrypt$n=16384,r=8,p=1$",
        "scrypt$n=1000,r=8,p=1$AAAA$AAAA",  # n is not a power of two
        "scrypt$n=16384,r=8,p=1$AAAA$!!!!",
        "scrypt$n=4194304,r=8,p=1$AAAA$AAAA",  # too costly to be ours
        "md5$5f4dcc3b5aa765d61d8327deb882cf99",
    ],
)
def test_a_malformed_hash_never_matches(stored: str) -> None:
    assert not check_secret("password", stored)


def test_bad_secrets_and_costs_are_refused() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        hash_secret("")
    with pytest.raises(ValueError, match="power of two"):
        hash_secret("key", cost=1000)


def test_new_access_keys_are_long_and_different() -> None:
    keys = {new_access_key() for _ in range(20)}
    assert len(keys) == 20
    assert all(len(key) >= 32 for key in keys)
