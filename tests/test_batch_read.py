"""Reading batch files: encodings, line endings, CSV quoting, XML safety, bad input, memory.

Bad input never raises anything but BatchError, and never loses a learner: every
learner line gives one entry, good or with its problems.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import io
import tracemalloc
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uln.batch import Batch, Entry, read, read_output, read_verify, stream, write_request
from uln.batch.spec import MAX_LINE_BYTES, REQUEST_HEADER, VERSIONS
from uln.errors import BatchError
from uln.learner import Demographics, Learner

ON = _dt.date(2024, 9, 2)
NAME = "LRB_10000001_020920240930"
HEADER_2A = (
    ",".join(REQUEST_HEADER)
    + "\r\n"
    + f"2A,{NAME}.CSV,10000001,mis@example.ac.uk\r\n"
    + ",".join(VERSIONS["2A"].names)
    + "\r\n"
)


def row(**cells: str) -> str:
    """A 2A learner row: a good learner unless ``cells`` say otherwise."""
    values = dict.fromkeys(VERSIONS["2A"].names, "")
    values.update(
        GivenName="Siân",
        FamilyName="O'Brien",
        LastKnownPostCode="CV4 9EE",
        DateOfBirth="2005-04-18",
        Gender="2",
        AbilityToShare="1",
        VerificationType="0",
        MISIdentifier="STU001",
    )
    values.update(cells)
    return ",".join(values[name] for name in VERSIONS["2A"].names)


def csv_file(*rows: str, header: str = HEADER_2A, ending: str = "\r\n") -> bytes:
    text = header + "".join(r + "\r\n" for r in rows)
    return text.replace("\r\n", ending).encode("utf-8")


def read_bytes(data: bytes) -> Batch:
    return read(io.BytesIO(data), on=ON)


def codes(batch: Batch) -> list[tuple[int, str | None]]:
    return [(e.line, e.code) for e in batch.learners]


# -- the happy path -------------------------------------------------------------------


def test_a_good_row() -> None:
    batch = read_bytes(csv_file(row(ULN="3344556680", Notes="likes = signs")))
    [entry] = batch.learners
    assert entry.code is None
    assert entry.problems == ()
    assert entry.line == 4
    assert entry.uln == "3344556680"
    assert entry.mis_identifier == "STU001"
    learner = entry.learner
    assert isinstance(learner, Learner)
    assert learner.demographics.given_name == "Siân"
    assert str(learner.demographics.postcode) == "CV4 9EE"
    assert learner.notes == "likes = signs"
    assert batch.header.ukprn == "10000001"
    assert batch.header.contact_email == "mis@example.ac.uk"
    assert batch.format == "CSV"
    assert batch.encoding == "UTF-8"
    # One learner is fewer than a batch holds: a file problem, nothing else.
    assert [p.field for p in batch.errors] == ["Learners"]


def test_the_lazy_learner_equals_the_one_from_raw() -> None:
    [entry] = read_bytes(csv_file(row(Title="Dr", EmailAddress="A.B@Example.AC.UK"))).learners
    expected = Learner.from_raw(
        {
            "Title": "Dr",
            "GivenName": "Siân",
            "FamilyName": "O'Brien",
            "LastKnownPostCode": "CV4 9EE",
            "DateOfBirth": "2005-04-18",
            "Gender": "2",
            "AbilityToShare": "1",
            "VerificationType": "0",
            "MISIdentifier": "STU001",
            "EmailAddress": "A.B@Example.AC.UK",
        }
    )
    assert entry.learner == expected
    assert entry.demographics == expected.demographics
    assert entry == Entry(4, None, (), expected, "STU001", None, None)


@pytest.mark.parametrize("ending", ["\r\n", "\n", "\r"])
@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_line_endings_and_byte_order_mark(ending: str, bom: bytes) -> None:
    data = bom + csv_file(row(), row(GivenName="Huw"), "", row(GivenName="X1"), ending=ending)
    batch = read_bytes(data)
    assert codes(batch) == [(4, None), (5, None), (7, "RC011")]
    assert batch.learners[1].demographics is not None
    assert batch.learners[1].demographics.given_name == "Huw"


def test_mixed_line_endings_across_chunk_boundaries() -> None:
    # \r\n pairs split by the 64 KiB chunks must not count as two line endings.
    rows = [row(MISIdentifier=f"S{i}", Notes="n" * (i % 97)) for i in range(2000)]
    text = HEADER_2A + "".join(r + ("\r\n", "\n", "\r")[i % 3] for i, r in enumerate(rows))
    batch = read_bytes(text.encode())
    assert [e.line for e in batch.learners] == list(range(4, 2004))
    assert all(e.ok for e in batch.learners)


def test_windows_1252() -> None:
    data = csv_file(row(GivenName="Siân", FamilyName="Zoë")).decode().encode("cp1252")
    batch = read_bytes(data)
    assert batch.encoding == "Windows-1252"
    [entry] = batch.learners
    assert entry.demographics is not None
    assert (entry.demographics.given_name, entry.demographics.family_name) == ("Siân", "Zoë")


def test_a_line_in_another_encoding_is_reported_for_its_learner() -> None:
    good = csv_file(row(GivenName="Siân"))
    bad = row(GivenName="Sian").encode().replace(b"Sian", b"Si\xe2n")  # cp1252 in UTF-8
    batch = read_bytes(good + bad + b"\r\n" + row().encode() + b"\r\n")
    assert codes(batch) == [(4, None), (5, "RC011"), (6, None)]
    [problem] = batch.learners[1].problems
    assert problem.rule == "the line is not valid UTF-8"
    assert problem.line == 5


def test_utf16_is_refused_with_a_hint() -> None:
    with pytest.raises(BatchError, match="UTF-16"):
        read_bytes(csv_file(row()).decode().encode("utf-16"))


def test_text_streams_work_too() -> None:
    batch = read(io.StringIO(csv_file(row()).decode()), on=ON)
    assert codes(batch) == [(4, None)]


def test_trailing_padding_and_blank_lines() -> None:
    header = HEADER_2A.replace("ContactEmail", "ContactEmail,,,").replace(
        "\r\nULN", ",,\r\n,,,,\r\nULN"
    )
    batch = read_bytes(csv_file(",,,,,", row() + ",,,", "   ", row(), header=header))
    assert codes(batch) == [(6, None), (8, None)]


# -- per-learner problems -------------------------------------------------------------


def test_every_bad_field_is_named_with_its_column() -> None:
    data = csv_file(
        row(GivenName="J0hn", LastKnownPostCode="nowhere", Gender="M", EmailAddress="x@")
    )
    [entry] = read_bytes(data).learners
    assert entry.code == "RC011"
    assert [(p.field, p.line, p.column) for p in entry.problems] == [
        ("GivenName", 4, 4),
        ("LastKnownPostCode", 4, 15),
        ("EmailAddress", 4, 19),
        ("Gender", 4, 20),
    ]
    assert entry.learner is None
    assert entry.mis_identifier == "STU001"


@pytest.mark.parametrize(
    ("cells", "code"),
    [
        ({"FamilyName": ""}, "RC006"),
        ({"FamilyName": "  "}, "RC006"),
        ({"VerificationType": ""}, "RC006"),
        ({"VerificationType": "999"}, "RC006"),
        ({"VerificationType": "999", "OtherVerificationDescription": "letter"}, None),
        ({"DateOfBirth": "2005-02-30"}, "RC011"),
        ({"DateOfBirth": "18/04/2005"}, "RC011"),
        ({"DateOfBirth": "2020-01-01"}, "RC013"),
        ({"DateOfBirth": "1900-01-01"}, "RC013"),
        ({"DateOfBirth": "2011-09-02"}, None),  # 13 today
        ({"DateOfBirth": "2011-09-03"}, "RC013"),  # 13 tomorrow
        ({"ULN": "3344556681"}, "RC011"),
        ({"ULN": "9999999999"}, "RC011"),
        ({"MISIdentifier": "AB 12 34 56 C"}, "RC011"),
        ({"Nationality": "GB"}, "RC011"),
        ({"AbilityToShare": "3"}, "RC011"),
        ({"GivenName": "", "LastKnownPostCode": "x"}, "RC006"),
        ({"GivenName": "A" * 36}, "RC011"),
        ({"Notes": "x" * 4001}, "RC011"),
        ({"Title": "Dr\x07"}, "RC011"),
    ],
)
def test_codes(cells: dict[str, str], code: str | None) -> None:
    [entry] = read_bytes(csv_file(row(**cells))).learners
    assert entry.code == code, entry.problems
    assert (entry.learner is None) == (code is not None)


def test_uci_and_upn_give_rc012() -> None:
    names = VERSIONS["3A"].names
    header = HEADER_2A.replace("2A,", "3A,").replace(
        ",".join(VERSIONS["2A"].names), ",".join(names)
    )

    def row3(**cells: str) -> str:
        values = dict(zip(VERSIONS["2A"].names, row().split(","), strict=True))
        values["MiddleNames"] = values.pop("MiddleOtherName")
        values["PrivacyNoticeSeen"] = "1"
        values.update(cells)
        return ",".join(values.get(n, "") for n in names)

    batch = read_bytes(
        csv_file(
            row3(UCI="681990012058G", UPN="B801200005001"),
            row3(UCI="681990012058H"),
            row3(UPN="B80120000500"),
            row3(UPN="B80120000500", Gender="F"),
            row3(PrivacyNoticeSeen="2"),
            header=header,
        )
    )
    assert [e.code for e in batch.learners] == [None, "RC012", "RC012", "RC011", "RC011"]
    learner = batch.learners[0].learner
    assert learner is not None
    assert learner.uci == "681990012058G"


def test_wrong_column_counts() -> None:
    batch = read_bytes(csv_file(row() + ",extra", row().replace(",", "", 1), row()))
    assert codes(batch) == [(4, "RC011"), (5, "RC011"), (6, None)]
    assert batch.learners[0].problems[0].rule == "the row has 27 cells; version 2A has 26 columns"


def test_quotes() -> None:
    quoted = row(Notes='"line one\nline two, with ""quotes"""', GivenName='"Jo"')
    batch = read_bytes(csv_file(quoted, row()))
    assert codes(batch) == [(4, None), (6, None)]
    learner = batch.learners[0].learner
    assert learner is not None
    assert learner.notes == 'line one\nline two, with "quotes"'


def test_a_quote_left_open_hides_nothing() -> None:
    batch = read_bytes(csv_file(row(GivenName='"Jo'), row(), row(FamilyName='"Smith"'), row()))
    assert codes(batch) == [(4, "RC011"), (5, None), (6, None), (7, None)]
    [problem] = batch.learners[0].problems
    assert (problem.field, problem.rule, problem.column) == ("row", "a quote is left open", 4)


def test_text_after_a_closing_quote() -> None:
    [entry] = read_bytes(csv_file(row(GivenName='"Jo"hn'))).learners
    assert entry.problems[0].rule == "text follows a closing quote"


def test_formulas_are_read_back_and_refused_in_names() -> None:
    batch = read_bytes(csv_file(row(Notes="'=1+2"), row(GivenName="'=HYPERLINK()")))
    first = batch.learners[0].learner
    assert first is not None
    assert first.notes == "=1+2"
    assert batch.learners[1].code == "RC011"


class _Generated(io.RawIOBase):
    """A binary file whose bytes are made on the fly, never all in memory."""

    def __init__(self, parts: Iterator[bytes]) -> None:
        self._parts = parts
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            self._pending = next(self._parts, b"")
            if not self._pending:
                return 0
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def _endless(head: bytes, fill: bytes, size: int, tail: bytes) -> io.BufferedReader:
    """``head``, then ``size`` bytes of ``fill`` (a line with no end), then ``tail``."""

    def parts() -> Iterator[bytes]:
        yield head
        block = fill * (1 << 20)
        for _ in range(size // len(block)):
            yield block
        yield tail

    return io.BufferedReader(_Generated(parts()))


@pytest.mark.slow
def test_a_100_mb_line_is_skipped_in_flat_memory() -> None:
    source = _endless(
        csv_file(row()), b"x", 100 << 20, b"\r\n" + row(GivenName="Huw").encode() + b"\r\n"
    )
    tracemalloc.start()
    try:
        batch = read(source, on=ON)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert codes(batch) == [(4, None), (5, "RC011"), (6, None)]
    assert batch.learners[1].problems[0].rule == f"the line is longer than {MAX_LINE_BYTES} bytes"
    assert peak < 8 << 20


@pytest.mark.slow
def test_a_100_mb_xml_field_is_reported_in_flat_memory() -> None:
    head = (
        b"<RegistrationBatch><Header><FileVersion>2A</FileVersion></Header><Learners>"
        b"<Learner><GivenName>Huw</GivenName><Notes>"
    )
    tail = b"</Notes></Learner></Learners></RegistrationBatch>"
    tracemalloc.start()
    try:
        batch = read(_endless(head, b"x", 100 << 20, tail), on=ON)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    [entry] = batch.learners
    assert "Notes" in [p.field for p in entry.problems]
    assert peak < 8 << 20


def test_a_huge_xml_name_is_refused() -> None:
    data = b"<RegistrationBatch><" + b"x" * (MAX_LINE_BYTES * 8) + b"/></RegistrationBatch>"
    with pytest.raises(BatchError, match="too long"):
        read_bytes(data)


# -- the file as a whole --------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\r\n\r\n", "empty"),
        (b"hello\r\n", "line 1: the first row must be the file header"),
        (HEADER_2A.split("\r\n")[0].encode(), "line 2: the file header has no values"),
        (HEADER_2A.replace("2A,", "9Z,").encode(), "line 2: FileVersion: not a known"),
        (HEADER_2A.replace("2A,", "V1,").encode(), "is a verify batch; read it with"),
        (HEADER_2A.replace("2A,", ",").encode(), "no FileVersion"),
        ("\r\n".join(HEADER_2A.split("\r\n")[:2]).encode(), "headings are missing"),
        (HEADER_2A.replace("GivenName", "Givenname").encode(), "line 3: column 4"),
        (HEADER_2A.replace(",Notes", "").encode(), "line 3: column 26"),
        (
            HEADER_2A.replace("2A,", "3A,").encode(),
            "line 3: the column headings are those of version 2A, but the header says 3A",
        ),
        (b'"FileVersion,FileName\r\n', "line 1: the file header cannot be read"),
    ],
)
def test_files_that_are_not_batches(data: bytes, message: str) -> None:
    with pytest.raises(BatchError, match=message):
        read_bytes(data)


def test_output_files_are_not_requests() -> None:
    with pytest.raises(BatchError, match=r"read it with uln\.batch\.read_output"):
        read_bytes(
            b"FileVersion,FileName,UKPRN,JobStatus,StartTime,FinishTime,TotalLearners,"
            b"NewLearners,ExistsUpdatedLearners,PossibleMatchLearners,LearnersNotFound,"
            b"RejectedLearners\r\n"
        )


def test_header_problems_do_not_stop_reading(tmp_path: object) -> None:
    header = HEADER_2A.replace("10000001,mis@example.ac.uk", "1234,not an email").replace(
        f"{NAME}.CSV", "whatever.csv"
    )
    batch = read_bytes(csv_file(row(), header=header))
    assert [(p.field, p.line) for p in batch.errors] == [
        ("FileName", 2),
        ("UKPRN", 2),
        ("ContactEmail", 2),
        ("Learners", None),
    ]
    assert codes(batch) == [(4, None)]


def test_the_file_name_is_checked(tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / "export.csv"  # type: ignore[operator]
    path.write_bytes(csv_file(*[row(MISIdentifier=f"S{i}") for i in range(50)]))
    assert [p.field for p in read(path, on=ON).errors] == ["FileName"]
    good = tmp_path / f"{NAME}.CSV"  # type: ignore[operator]
    path.rename(good)
    assert read(good, on=ON).errors == ()
    other = tmp_path / "LRB_10000001_020920240931.CSV"  # type: ignore[operator]
    good.rename(other)
    assert [p.rule for p in read(other, on=ON).errors] == [
        "the file's name differs from the header's FileName"
    ]
    xml = tmp_path / "LRB_10000001_020920240931.XML"  # type: ignore[operator]
    other.rename(xml)
    assert "its name says XML" in read(xml, on=ON).errors[0].rule


def test_5001_learners_are_all_read_and_the_count_is_reported() -> None:
    batch = read_bytes(csv_file(*[row(MISIdentifier=f"S{i}") for i in range(5001)]))
    assert len(batch.learners) == 5001
    assert all(e.ok for e in batch.learners)
    assert [str(p) for p in batch.errors] == [
        "Learners: the file has 5001 learners; a registration batch has 50 to 5000"
    ]


def test_duplicates() -> None:
    batch = read_bytes(
        csv_file(
            row(MISIdentifier="A", ULN="3344556680"),
            row(
                MISIdentifier="B", GivenName="siân", FamilyName="OBrien", LastKnownPostCode="cv49ee"
            ),
            row(MISIdentifier="A", GivenName="Huw", Gender="x"),
            row(MISIdentifier="C", GivenName="Huw", ULN="3344556680"),
        )
    )
    assert [str(p) for p in batch.duplicates] == [
        "line 5, learner: the same names, date of birth, gender and postcode as line 4",
        "line 6, MISIdentifier: the same MISIdentifier as line 4",
        "line 7, ULN: the same ULN as line 4",
    ]


# -- XML ------------------------------------------------------------------------------


def xml_file(*learners: str, header: str = "") -> bytes:
    head = header or (
        f"<FileVersion>2A</FileVersion><FileName>{NAME}.XML</FileName>"
        f"<UKPRN>10000001</UKPRN><{'LearnerCount'}>{len(learners)}</LearnerCount>"
    )
    body = "\n".join(f"<Learner>{learner}</Learner>" for learner in learners)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<RegistrationBatch>\n<Header>{head}</Header>\n'
        f"<Learners>\n{body}\n</Learners>\n</RegistrationBatch>\n"
    ).encode()


GOOD_XML = (
    "<GivenName>Siân</GivenName><FamilyName>O&apos;Brien</FamilyName>"
    "<LastKnownPostCode>CV4 9EE</LastKnownPostCode><DateOfBirth>2005-04-18</DateOfBirth>"
    "<Gender>2</Gender><AbilityToShare>1</AbilityToShare><VerificationType>0</VerificationType>"
)


def test_xml_reads_like_csv() -> None:
    batch = read_bytes(xml_file(GOOD_XML, GOOD_XML.replace("2005-04-18", "18/04/2005")))
    assert batch.format == "XML"
    assert codes(batch) == [(5, None), (6, "RC011")]
    [problem] = batch.learners[1].problems
    assert (problem.field, problem.line, problem.column) == ("DateOfBirth", 6, 120)
    csv_learner = read_bytes(csv_file(row(MISIdentifier=""))).learners[0].learner
    assert batch.learners[0].learner == csv_learner


def test_xml_structure_problems_belong_to_their_learner() -> None:
    batch = read_bytes(
        xml_file(
            GOOD_XML + "<Shoesize>9</Shoesize>",
            GOOD_XML + "<Notes>a <b>bold</b> note</Notes>",
            GOOD_XML + "stray text",
            GOOD_XML + "<Notes>a</Notes><Notes>b</Notes>",
            GOOD_XML,
        )
    )
    assert [e.code for e in batch.learners] == ["RC011", "RC011", "RC011", "RC011", None]
    assert [[p.field for p in e.problems] for e in batch.learners[:4]] == [
        ["Shoesize"],
        ["Notes"],
        ["row"],
        ["Notes"],
    ]


def test_xml_windows_1252_with_and_without_a_declaration() -> None:
    declared = xml_file(GOOD_XML).decode().replace("UTF-8", "windows-1252").encode("cp1252")
    undeclared = xml_file(GOOD_XML).decode().replace(' encoding="UTF-8"', "").encode("cp1252")
    for data in (declared, undeclared):
        batch = read_bytes(data)
        demographics = batch.learners[0].demographics
        assert demographics is not None
        assert demographics.given_name == "Siân"
        assert batch.encoding == "Windows-1252"


def test_xml_count_must_agree() -> None:
    data = xml_file(GOOD_XML, GOOD_XML).replace(b">2</LearnerCount>", b">3</LearnerCount>")
    assert [p.field for p in read_bytes(data).errors] == ["Learners", "LearnerCount"]


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (
            '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
            ' <!ENTITY lol9 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n]>\n'
            "<RegistrationBatch>&lol9;</RegistrationBatch>",
            "line 2: a document type declaration",
        ),
        (
            '<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n'
            "<RegistrationBatch>&e;</RegistrationBatch>",
            "DOCTYPE",
        ),
        (
            '<!DOCTYPE r SYSTEM "http://example.invalid/batch.dtd"><RegistrationBatch/>',
            "DOCTYPE",
        ),
        ("<RegistrationBatch>&undeclared;</RegistrationBatch>", "not well formed"),
        ("<RegistrationBatch><Header>", "line 1: the XML is not well formed"),
        ("<VerifyBatch/>", "the document element must be RegistrationBatch"),
        ("<RegistrationBatch/>", "no Header"),
        ("<RegistrationBatch><Learners/><Header/></RegistrationBatch>", "must come before"),
        ("<RegistrationBatch>\n<Header>\n<FileVersion>2A</FileVersion>\n", "line 4"),
    ],
)
def test_xml_that_is_refused(document: str, reason: str) -> None:
    with pytest.raises(BatchError, match=reason):
        read_bytes(document.encode())


def test_xml_unknown_header_and_section_elements_are_file_problems() -> None:
    head = f"<FileVersion>2A</FileVersion><FileName>{NAME}.XML</FileName><UKPRN>10000001</UKPRN>"
    data = xml_file(GOOD_XML, header=head + "<Colour>red</Colour>").replace(
        b"<Learners>", b"<Extra>x</Extra><Learners><Pupil/>"
    )
    batch = read_bytes(data)
    rules = [p.rule for p in batch.errors]
    assert "unexpected element Colour in Header" in rules
    assert "unexpected element Extra in RegistrationBatch" in rules
    assert "unexpected element Pupil in Learners" in rules
    assert codes(batch) == [(5, None)]


# -- verify and output ----------------------------------------------------------------


def test_verify_batch() -> None:
    data = (
        "FileVersion,FileName,UKPRN,ContactEmail\n"
        f"V1,{NAME}.CSV,10000001,\n"
        "ULN,MISIdentifier,GivenName,FamilyName,DateOfBirth,Gender\n"
        "3344556680,A1,Huw,Pugh,,\n"
        "3344556680,A1,Huw,Pugh,1900-01-01,1\n"
    ).encode()
    batch = read_verify(io.BytesIO(data))
    assert [e.code for e in batch.learners] == [None, None]  # no age rule in a verify batch
    assert batch.errors == ()
    with pytest.raises(BatchError, match=r"verify batch; read it with uln\.batch\.read_verify"):
        read_bytes(data)
    with stream(io.BytesIO(data), kind=None) as reader:
        assert reader.kind == "verify"
        assert len(list(reader)) == 2


def test_output_counters_are_checked() -> None:
    data = (
        "FileVersion,FileName,UKPRN,JobStatus,StartTime,FinishTime,TotalLearners,NewLearners,"
        "ExistsUpdatedLearners,PossibleMatchLearners,LearnersNotFound,RejectedLearners\n"
        f"2A,{NAME}.CSV,10000001,Done,2024-09-02T09:30:00,soon,3,2,0,0,0,1\n"
        + ",".join((*VERSIONS["2A"].names, "ReturnCode"))
        + "\n"
        + row(ULN="3344556680")
        + ",RC002\n"
        + row(GivenName="")
        + ",RC006\n"
    ).encode()
    batch = read_output(io.BytesIO(data))
    assert batch.return_codes == {"RC002": 1, "RC006": 1}
    assert [e.line for e in batch.exceptions] == [5]
    assert batch.header.started == _dt.datetime(2024, 9, 2, 9, 30)
    assert [p.field for p in batch.errors] == [
        "JobStatus",
        "FinishTime",
        "TotalLearners",
        "NewLearners",
    ]
    assert batch.learners[0].uln == "3344556680"
    assert batch.learners[0].code is None


# -- fuzzing --------------------------------------------------------------------------

_VALID = csv_file(*[row(MISIdentifier=f"S{i}", GivenName=g) for i, g in enumerate("ABCDEFGH")])
_ORIGINAL = read_bytes(_VALID).learners


@given(st.binary(max_size=2000))
def test_arbitrary_bytes_give_a_batch_or_a_batch_error(data: bytes) -> None:
    for kind in ("registration", "verify", "output", None):
        try:
            with stream(io.BytesIO(data), kind=kind, on=ON) as reader:  # type: ignore[arg-type]
                entries = list(reader)
        except BatchError:
            continue
        assert all(isinstance(e, Entry) for e in entries)


@given(st.binary(max_size=300).map(lambda b: _VALID[:200] + b + _VALID[200:]))
def test_bytes_inserted_into_a_header_give_a_batch_or_a_batch_error(data: bytes) -> None:
    with contextlib.suppress(BatchError):
        read_bytes(data)


@given(
    index=st.integers(0, len(_ORIGINAL) - 1),
    junk=st.text(st.characters(exclude_characters="\r\n", exclude_categories=["Cs"]), min_size=1),
)
def test_a_damaged_row_loses_no_learner(index: int, junk: str) -> None:
    lines = _VALID.split(b"\r\n")
    lines[3 + index] = junk.encode()
    batch = read_bytes(b"\r\n".join(lines))
    if not junk.strip(", \t"):
        assert len(batch.learners) == len(_ORIGINAL) - 1  # a blank line holds no learner
        return
    assert len(batch.learners) == len(_ORIGINAL)
    for i, entry in enumerate(batch.learners):
        if i != index:
            assert entry == _ORIGINAL[i]


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(_VALID)))
def test_a_truncated_csv_keeps_every_complete_row(cut: int) -> None:
    try:
        batch = read_bytes(_VALID[:cut])
    except BatchError:
        assert cut < len(HEADER_2A.encode()) + 1
        return
    complete = max(0, _VALID[:cut].count(b"\r\n") - 3)
    assert batch.learners[:complete] == _ORIGINAL[:complete]
    assert len(batch.learners) in (complete, complete + 1)


_VALID_XML = xml_file(*[GOOD_XML.replace("Siân", g) for g in "ABCDEFGH"])


@given(st.integers(0, len(_VALID_XML) - 1))
def test_a_truncated_xml_is_refused_with_its_line(cut: int) -> None:
    try:
        batch = read_bytes(_VALID_XML[:cut])
    except BatchError as exc:
        assert exc.line is None or exc.line >= 1
        return
    assert _VALID_XML[cut:].strip() == b""  # only trailing white space was cut
    assert len(batch.learners) == 8


# -- memory ---------------------------------------------------------------------------


def _rows(n: int) -> Iterator[bytes]:
    yield HEADER_2A.encode()
    for i in range(n):
        cells = row(
            MISIdentifier=f"S{i:07d}",
            EmailAddress=f"learner{i}@example.ac.uk",
            LastKnownPostCode=f"CV{i % 23 + 1} {i % 10}{'ABDEFGHJ'[i % 8]}{'LNPQRSTU'[i // 8 % 8]}",
        )
        yield cells.encode() + b"\r\n"


def _peak(n: int) -> int:
    tracemalloc.start()
    try:
        with stream(io.BufferedReader(_Generated(_rows(n))), on=ON) as reader:
            count = sum(1 for e in reader if e.ok)
        assert count == n
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_streaming_memory_is_flat() -> None:
    """Once the value memories are full (4,096 values a column), memory stops growing.

    A first read fills the normalisers' own caches (bounded by their ``lru_cache``
    sizes, and not the reader's), so that the two measured reads see only the reader.
    """
    _peak(15_000)
    small, large = _peak(5_000), _peak(15_000)
    assert large < small * 1.25 + (256 << 10), (small, large)


def test_demographics_of_a_good_entry_are_built_once() -> None:
    [entry] = read_bytes(csv_file(row())).learners
    assert entry.learner is entry.learner
    assert isinstance(entry.demographics, Demographics)


def test_write_then_read_is_the_reader_of_the_writer(tmp_path: pytest.TempPathFactory) -> None:
    [path] = write_request(
        [e.learner for e in _ORIGINAL if e.learner is not None],
        tmp_path,  # type: ignore[arg-type]
        ukprn="10000001",
        allow_small=True,
    )
    again = read(path, on=ON)
    assert [e.learner for e in again.learners] == [e.learner for e in _ORIGINAL]


@pytest.mark.parametrize("uln", ["334 455 6680", "3344-556680", " 3344556680 "])
def test_a_uln_in_a_file_is_ten_digits(uln: str) -> None:
    [entry] = read_bytes(csv_file(row(ULN=uln))).learners
    if uln.strip() == "3344556680":
        assert entry.uln == "3344556680"
    else:
        assert entry.code == "RC011"
        assert entry.problems[0].field == "ULN"
