"""uln.batch.spec and uln.batch.codes: the layouts and codes as data, and the docs built from them.

Run this file as a script to regenerate the column tables in docs/guide/batch.md:
``python tests/test_batch_spec.py``.
"""

from __future__ import annotations

import datetime as _dt
import re
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from uln import errors
from uln.batch import codes, spec
from uln.learner import FIELDS, field_spec

GUIDE = Path(__file__).parent.parent / "docs" / "guide" / "batch.md"
_BLOCK = re.compile(
    r"(<!-- columns: (?P<key>[a-z]+ [0-9A-Z]+) -->\n)(?P<body>.*?)(<!-- end columns -->)", re.S
)


# -- the layouts ----------------------------------------------------------------------


def test_versions_follow_domain_order() -> None:
    two = spec.VERSIONS["2A"].names
    assert two[:4] == ("ULN", "MISIdentifier", "Title", "GivenName")
    assert two[-4:] == (
        "AbilityToShare",
        "VerificationType",
        "OtherVerificationDescription",
        "Notes",
    )
    three = spec.VERSIONS["3A"].names
    assert "MiddleNames" in three
    assert "MiddleOtherName" not in three
    assert "PrivacyNoticeSeen" in three
    assert "AbilityToShare" not in three
    assert three[-2:] == ("UCI", "UPN")
    # 3A is 2A with two renames and two columns added.
    renamed = {"MiddleOtherName": "MiddleNames", "AbilityToShare": "PrivacyNoticeSeen"}
    assert tuple(renamed.get(n, n) for n in two) == three[:-2]


@pytest.mark.parametrize("layout", list(spec.LAYOUTS.values()), ids=str)
def test_columns_agree_with_the_learner_fields(layout: spec.Layout) -> None:
    """Each column fills a field of the learner record, with the LRS length."""
    for column in layout.columns:
        if column.owner == "entry":
            continue
        field = field_spec(column.attribute)
        assert field.record == column.owner, column.name
        assert column.name in (field.lrs_name, *field.aliases), column.name
        if field.max_length is not None:
            assert column.max_length == field.max_length, column.name


def test_every_batch_field_of_the_learner_is_a_column() -> None:
    batch_fields = {c.attribute for layout in spec.VERSIONS.values() for c in layout.columns}
    not_in_batches = {f.attr for f in FIELDS} - batch_fields
    # The register's own data and the telephone are not in batch files.
    assert not_in_batches == {
        "phone",
        "version",
        "created",
        "updated",
        "master_uln",
        "linked_ulns",
    }


def test_mandatory_columns() -> None:
    assert set(spec.VERSIONS["3A"].mandatory) == {
        "GivenName",
        "FamilyName",
        "LastKnownPostCode",
        "DateOfBirth",
        "Gender",
        "PrivacyNoticeSeen",
        "VerificationType",
    }
    assert spec.VERIFY.mandatory == ("ULN", "GivenName", "FamilyName")


def test_output_layout_echoes_and_adds_the_return_code() -> None:
    for version, layout in spec.OUTPUT_LAYOUTS.items():
        assert layout.names == (*spec.VERSIONS[version].names, "ReturnCode")
        assert layout.header[-5:] == codes.COUNTERS


def test_a_layout_refuses_duplicate_columns() -> None:
    column = spec.VERIFY.columns[0]
    with pytest.raises(ValueError, match="duplicate"):
        spec.Layout("X", "verify", (), (column, column), 1, 1, False, "X", "ours")


def test_unknown_check_is_refused() -> None:
    with pytest.raises(ValueError, match="check"):
        spec.Column("X", "x", "no such check", 1)


# -- file names -----------------------------------------------------------------------


@given(
    ukprn=st.from_regex(r"[0-9A-Za-z]{8}", fullmatch=True),
    when=st.datetimes(_dt.datetime(2000, 1, 1), _dt.datetime(2099, 12, 31)),
    fmt=st.sampled_from(["CSV", "XML", "csv"]),
)
def test_file_name_round_trip(ukprn: str, when: _dt.datetime, fmt: str) -> None:
    name = spec.file_name(ukprn, when, fmt)
    parsed = spec.parse_file_name(name)
    assert parsed.ukprn == ukprn
    assert parsed.created == when.replace(second=0, microsecond=0)
    assert parsed.format == fmt.upper()
    assert str(parsed) == name
    assert spec.parse_file_name(spec.output_file_name(name)).is_output


@pytest.mark.parametrize(
    "name",
    [
        "LRB_10001234_020920241430.csv",  # the extension is upper case
        "lrb_10001234_020920241430.CSV",
        "LRB_1000123_020920241430.CSV",  # seven characters
        "LRB_10001234_0209202414.CSV",  # no minutes
        "LRB_10001234_020920241430.TXT",
        "LRB_10001234_020920241430.CSV.bak",
        "",
    ],
)
def test_bad_file_names(name: str) -> None:
    with pytest.raises(errors.InvalidFormat):
        spec.parse_file_name(name)


def test_impossible_time_in_a_file_name() -> None:
    with pytest.raises(errors.InvalidComponent, match="do not exist"):
        spec.parse_file_name("LRB_10001234_300220241430.CSV")
    with pytest.raises(errors.InvalidComponent):
        spec.parse_file_name("LRB_10001234_010120242460.CSV")


def test_file_name_refuses_bad_parts() -> None:
    with pytest.raises(errors.InvalidFormat):
        spec.file_name("1000123", _dt.datetime(2024, 1, 1))
    with pytest.raises(errors.InvalidFormat):
        spec.file_name("10001234", _dt.datetime(2024, 1, 1), "TXT")


# -- codes ----------------------------------------------------------------------------


def test_return_codes() -> None:
    assert list(codes.RETURN_CODES) == [f"RC{n:03d}" for n in range(1, 14)]
    assert {f"RC{n:03d}" for n in range(6, 14)} == codes.EXCEPTION_CODES
    published = {c for c, v in codes.RETURN_CODES.items() if v.mark == "spec"}
    assert published == {"RC006", "RC011", "RC012", "RC013"}
    for code in codes.RETURN_CODES.values():
        assert code.counter in codes.COUNTERS


def test_other_tables_are_marked() -> None:
    for table in (codes.WSRC_CODES, codes.WSEC_CODES, codes.WSVRC_CODES, codes.VRF_FLAGS):
        for key, code in table.items():
            assert key == code.code
            assert code.mark in ("spec", "client", "ours")
            assert code.meaning
    assert list(codes.VRF_FLAGS) == [f"VRF{n}" for n in range(1, 9)]
    with pytest.raises(KeyError):
        codes.describe("RC999")


@given(
    st.lists(
        st.builds(
            errors.Problem,
            field=st.sampled_from(["GivenName", "UCI", "UPN", "DateOfBirth", "row"]),
            rule=st.just("r"),
            kind=st.sampled_from(["MissingValue", "AgeOutOfRange", "InvalidFormat"]),
        )
    )
)
def test_code_precedence(problems: list[errors.Problem]) -> None:
    code = codes.code_for(problems)
    if not problems:
        assert code is None
        return
    kinds = {p.kind for p in problems}
    fields = {p.field for p in problems}
    if "MissingValue" in kinds:
        assert code == "RC006"
    elif any(p.kind == "InvalidFormat" and p.field not in ("UCI", "UPN") for p in problems):
        assert code == "RC011"
    elif fields & {"UCI", "UPN"} and any(p.kind != "AgeOutOfRange" for p in problems):
        assert code == "RC012"
    else:
        assert code == "RC013"


# -- the docs -------------------------------------------------------------------------


def _tables() -> dict[str, str]:
    return {
        f"{kind} {version}": spec.markdown_table(layout)
        for (kind, version), layout in spec.LAYOUTS.items()
        if kind != "output"
    }


def regenerate(text: str) -> str:
    """``text`` with every column table replaced by the one built from spec.py."""
    tables = _tables()
    return _BLOCK.sub(lambda m: m[1] + tables[m["key"]] + m[4], text)


def test_guide_tables_are_built_from_spec() -> None:
    """The column tables of docs/guide/batch.md are spec.markdown_table's output.

    When spec.py changes, run ``python tests/test_batch_spec.py`` to rewrite them.
    """
    text = GUIDE.read_text(encoding="utf-8")
    found = {m["key"] for m in _BLOCK.finditer(text)}
    assert found == set(_tables()), "every layout has a table in the guide"
    assert regenerate(text) == text, "stale tables: run python tests/test_batch_spec.py"


if __name__ == "__main__":
    GUIDE.write_text(regenerate(GUIDE.read_text(encoding="utf-8")), encoding="utf-8")
    sys.stdout.write(f"rewrote the column tables of {GUIDE}\n")
