"""The fast paths of batch reading give exactly what the slow paths give.

* a MISIdentifier's National Insurance number test without exceptions;
* a row checked by dictionary look-ups, against the cell-by-cell check;
* plain XML learners read with string methods, against expat's callbacks, whatever
  the document holds around them and however it is cut into chunks.
"""

from __future__ import annotations

import datetime as _dt
import importlib
import io
import itertools

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uln.batch import Entry, read
from uln.batch import _xmlio as xmlio
from uln.batch._check import RowChecker
from uln.batch._model import good_entry
from uln.batch.spec import REQUEST_HEADER, VERSIONS, XML_COUNT_FIELD
from uln.enums import VerificationType
from uln.errors import BatchError

_read = importlib.import_module("uln.batch._read")

ON = _dt.date(2024, 9, 2)
LAYOUT = VERSIONS["2A"]
NAMES = LAYOUT.names


def test_only_one_verification_type_needs_a_description() -> None:
    # The row check compares by identity with this one member.
    assert [v for v in VerificationType if v.needs_description] == [VerificationType.OTHER]


def test_a_good_entry_is_the_entry_its_fields_make() -> None:
    made = good_entry(4, "M1", "3344556680", None, (None, ()))  # type: ignore[arg-type]
    assert attrs.asdict(made) == attrs.asdict(
        Entry(4, None, (), None, "M1", "3344556680", None, checked=(None, ()))  # type: ignore[arg-type]
    )
    assert repr(made).startswith("Entry(line=4, code=None")


# -- rows ---------------------------------------------------------------------------------

_CELLS = {
    "ULN": ["", "3344556680", "3344556681", "12", " "],
    "MISIdentifier": ["", "STU1", "STU2", "AB123456C", "x" * 200, "a\tb"],
    "GivenName": ["Siân", "", "Jo", "J0", "  ", "=1+2"],
    "FamilyName": ["O'Brien", "Smith", ""],
    "LastKnownPostCode": ["CV4 9EE", "ZZ99 3CZ", "nonsense", ""],
    "DateOfBirth": ["2005-04-18", "18/04/2005", "2024-01-01", "", "1900-01-01"],
    "EmailAddress": ["", "a@example.ac.uk", "not an email"],
    "Gender": ["2", "1", "9", "M", ""],
    "AbilityToShare": ["1", "2", "", "7"],
    "VerificationType": ["0", "999", "", "x"],
    "OtherVerificationDescription": ["", "passport"],
}


@st.composite
def rows(draw: st.DrawFn) -> list[str]:
    return [draw(st.sampled_from(_CELLS.get(name, ["", "", "text"]))) for name in NAMES]


@settings(max_examples=300)
@given(st.lists(rows(), min_size=1, max_size=6))
def test_the_fast_row_check_equals_the_cell_by_cell_one(batch: list[list[str]]) -> None:
    fast = RowChecker(LAYOUT, on=ON)
    slow = RowChecker(LAYOUT, on=ON)
    for line, cells in enumerate(batch, start=4):
        a, b = fast.check(cells, line), slow._slow(cells, line, None)
        assert a == b
        assert (a.code, a.values, a.learner) == (b.code, b.values, b.learner)


# -- XML ------------------------------------------------------------------------------------

_TEXTS = st.one_of(
    st.sampled_from(
        [
            *("Siân", "O'Brien", "'=1", "a &amp; b", "&lt;x&gt;", "&#13;", "a&#10;b", "x]]>y"),
            *("&quot;&apos;", "2005-04-18", "", " ", "line\r\nbreak", "lone\rcr", "€😀", "a>b"),
        ]
    ),
    st.text(st.characters(codec="utf-8", exclude_characters="<&\x00"), max_size=6),
)
_FIELD_NAMES = st.sampled_from([*NAMES[:20], "Unknown", "ULN"])
_SPACE = st.sampled_from(["", "", "\n", "\r\n", "\n  ", "\t"])


@st.composite
def learners(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 9))
    fields = draw(st.lists(st.tuples(_FIELD_NAMES, _TEXTS), max_size=6))
    inner = draw(_SPACE).join(f"<{name}>{text}</{name}>" for name, text in fields)
    if kind == 0:
        inner += "<!-- a comment -->"
    elif kind == 1:
        inner = inner.replace("<ULN>", '<ULN a="1">', 1)
    elif kind == 2:
        inner += "<Notes><![CDATA[<Learner>]]></Notes>"
    elif kind == 3:
        inner += "<Title/>"
    elif kind == 4:
        inner = "stray" + inner
    elif kind == 5:
        # Markup broken by a character taken out, put in, or moved: few are well-formed.
        for _ in range(draw(st.integers(1, 2))):
            at = draw(st.integers(0, len(inner)))
            if draw(st.booleans()):
                inner = inner[:at] + draw(st.sampled_from(["<", ">", "/", "</"])) + inner[at:]
            else:
                inner = inner[:at] + inner[at + 1 :]
    return f"<Learner>{inner}</Learner>"


@st.composite
def documents(draw: st.DrawFn) -> str:
    header = (
        "<Header><FileVersion>2A</FileVersion><FileName>LRB_10000001_020920240930.XML"
        f"</FileName><UKPRN>10000001</UKPRN><{XML_COUNT_FIELD}>2</{XML_COUNT_FIELD}></Header>"
    )
    between = st.sampled_from(["", "\n", "\r\n", "\r", " ", "<!-- <Learner> -->", "<?pi x?>"])
    body = "".join(draw(between) + learner for learner in draw(st.lists(learners(), max_size=6)))
    tail = draw(st.sampled_from(["", "\n", "<Other/>", "junk"]))
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<RegistrationBatch>{draw(between)}'
        f"{header}\n<Learners>{body}{tail}</Learners>\n</RegistrationBatch>\n"
    )


def _events(document: str, cuts: list[int], fast: bool, where: bool = True) -> list[object]:
    bounds = sorted({0, len(document), *(c % (len(document) + 1) for c in cuts)})
    chunks = [document[a:b] for a, b in itertools.pairwise(bounds)]
    found: list[object] = []
    try:
        for event in xmlio.parse(
            chunks,
            roots=["RegistrationBatch"],
            header_fields=REQUEST_HEADER,
            count_field=XML_COUNT_FIELD,
            learner_fields=_read._LEARNER_FIELDS if fast else (),
        ):
            if isinstance(event, xmlio.LearnerRecord):
                places = (
                    {name: event.position(name) for name in (*NAMES, "Unknown")} if where else {}
                )
                problems = event.problems
                if not where:  # expat places buffered stray text where it flushes it
                    problems = [
                        (kind, rule, 0, 0) if rule.startswith("text outside") else (kind, rule, *at)
                        for kind, rule, *at in problems
                    ]
                found.append(("L", event.line, event.column, event.values, problems, places))
            elif isinstance(event, xmlio.HeaderRecord):
                found.append(("H", event.line, event.values, event.problems))
            else:
                found.append(("F", event.rule, event.line))
    except BatchError as exc:
        found.append(("E", str(exc)))
    return found


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_plain_xml_learners_read_as_expat_reads_them(document: str) -> None:
    assert _events(document, [], True) == _events(document, [], False)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(documents(), st.lists(st.integers(0, 5000), min_size=1, max_size=4))
def test_chunk_boundaries_change_nothing(document: str, cuts: list[int]) -> None:
    # Where a field starts is left out: expat's reader places the fields of a learner
    # cut by a chunk boundary at the learner's start; the fast path, which keeps an
    # unfinished learner for the next chunk, places them exactly. So is where stray
    # text in a learner is: expat buffers text and reports it where it flushes it.
    # Before a fatal error, what was yielded depends on where the chunks end: the error
    # is the same, and the events before it agree.
    fast = _events(document, cuts, True, where=False)
    slow = _events(document, cuts, False, where=False)
    if fast[-1:] and fast[-1][0] == "E":  # type: ignore[index]
        assert fast[-1] == slow[-1]
        fast, slow = fast[:-1], slow[:-1]
        n = min(len(fast), len(slow))
        fast, slow = fast[:n], slow[:n]
    assert fast == slow


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_a_batch_read_with_and_without_the_xml_fast_path_is_the_same(document: str) -> None:
    def outcome() -> object:
        try:
            batch = read(io.BytesIO(document.encode()), on=ON)
        except BatchError as exc:
            return str(exc)
        return batch.learners, batch.errors, [(e.values, e.code) for e in batch.learners]

    fast = outcome()
    saved = _read._LEARNER_FIELDS
    _read._LEARNER_FIELDS = frozenset()
    try:
        slow = outcome()
    finally:
        _read._LEARNER_FIELDS = saved
    assert fast == slow


def test_the_fast_path_reads_plain_learners_with_their_lines_and_columns() -> None:
    document = (
        "<RegistrationBatch><Header><FileVersion>2A</FileVersion></Header>\n<Learners>\n"
        "  <Learner><ULN>1</ULN><GivenName>O'Brien &amp; Siân</GivenName></Learner>"
        "<Learner><Unknown>x</Unknown></Learner>\n</Learners></RegistrationBatch>"
    )
    events = _events(document, [], True)
    assert events == _events(document, [], False)
    assert events[1][:4] == ("L", 3, 3, {"ULN": "1", "GivenName": "O'Brien & Siân"})
    assert events[2][:3] == ("L", 3, 75)


def test_the_fast_path_refuses_what_expat_refuses() -> None:
    # Each closing tag and each start tag must be exactly where a plain learner has
    # it, not just the right tags in total.
    for inner in (
        "<ULN>1</ULN>/GivenName><GivenName>y<",
        "<ULN>1>GivenName</ULN><Title</GivenName>",
        "<ULN>1</ULN><GivenName>y</GivenName</>",
    ):
        document = (
            "<RegistrationBatch><Header><FileVersion>2A</FileVersion></Header>\n<Learners>\n"
            f"<Learner>{inner}</Learner>\n</Learners></RegistrationBatch>"
        )
        events = _events(document, [], True)
        assert events == _events(document, [], False)
        assert events[-1][0] == "E"


def test_learners_written_alike_share_their_field_names() -> None:
    document = (
        "<RegistrationBatch><Header><FileVersion>2A</FileVersion></Header><Learners>"
        + "<Learner><ULN>1</ULN><GivenName>A</GivenName></Learner>" * 3
        + "</Learners></RegistrationBatch>"
    )
    chunks = [document]
    records = [
        e
        for e in xmlio.parse(
            chunks,
            roots=["RegistrationBatch"],
            header_fields=REQUEST_HEADER,
            count_field=XML_COUNT_FIELD,
            learner_fields=_read._LEARNER_FIELDS,
        )
        if isinstance(e, xmlio.LearnerRecord)
    ]
    assert [r.values for r in records] == [{"ULN": "1", "GivenName": "A"}] * 3
    assert records[0].fields is records[1].fields is records[2].fields
