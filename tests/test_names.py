"""Names: display form, comparison keys, aliases and Welsh patronymics (docs/rules.md, Names)."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from uln import errors
from uln.demographics import names
from uln.demographics.names import (
    alias_group,
    alias_groups,
    are_aliases,
    name_key,
    name_parts,
    normalise_name,
    patronymic_equivalents,
)
from uln.testing._name_strategies import NAME_KINDS, family_names, given_names
from uln.testing._name_strategies import names as name_strategy

KEY = re.compile(r"(?:[A-Z]+(?: [A-Z]+)*)?")
RULES = {
    "a name is required",
    "a name must not contain digits",
    "a name must not contain control characters",
    "a name may contain only letters, spaces, hyphens, apostrophes and full stops",
    "a name must contain at least one letter",
    "a name has at most 35 characters",
}

# -- display form ---------------------------------------------------------------------------

DISPLAY = [
    ("  Siân  ", "Siân"),
    ("Llŷr", "Llŷr"),
    ("Gwenllïan", "Gwenllïan"),
    ("Dafydd  ap   Rhys", "Dafydd ap Rhys"),
    ("o'brien", "o'brien"),
    ("O’Brien", "O'Brien"),
    ("O‘Brien", "O'Brien"),
    ("O`Brien", "O'Brien"),
    ("SMITH - JONES", "SMITH-JONES"),
    ("Smith – Jones", "Smith-Jones"),
    ("Anne‐Marie", "Anne-Marie"),
    ("St. John", "St. John"),
    ("Mary\tAnn\n", "Mary Ann"),
    ("Zoe\u0308", "Zoë"),  # decomposed input comes out composed (NFC)
    ("Ló\u200bpez", "López"),  # a zero-width space is removed
    ("\ufeffBrontë", "Brontë"),
    ("Łukasz", "Łukasz"),
    ("Ní Bhriain", "Ní Bhriain"),
    ("Mac an t-Saoir", "Mac an t-Saoir"),
    ("A" * 35, "A" * 35),
    ("N\u0308", "N\u0308"),  # a letter with a mark that has no composed form
]


@pytest.mark.parametrize(("raw", "display"), DISPLAY)
def test_display_form(raw: str, display: str) -> None:
    assert normalise_name(raw) == display
    assert normalise_name(display) == display


ERRORS = [
    ("", errors.MissingValue, "a name is required"),
    ("   \t ", errors.MissingValue, "a name is required"),
    ("\u3000", errors.MissingValue, "a name is required"),
    ("John2", errors.InvalidName, "digits"),
    ("Henry ⅷ", errors.InvalidName, "digits"),
    ("Jane٣", errors.InvalidName, "digits"),
    ("Ann\x00e", errors.InvalidName, "control characters"),
    ("Ann\x1fe", errors.InvalidName, "control characters"),
    ("Ann\u202ee", errors.InvalidName, "control characters"),
    ("Smith, John", errors.InvalidName, "only letters"),
    ("Smith@home", errors.InvalidName, "only letters"),
    ("Jo 😀", errors.InvalidName, "only letters"),
    ("\u0301abc", errors.InvalidName, "only letters"),
    ("- . '", errors.InvalidName, "at least one letter"),
    ("A" * 36, errors.InvalidLength, "at most 35"),
    ("Siân " * 7 + "X", errors.InvalidLength, "at most 35"),
]


@pytest.mark.parametrize(("raw", "error", "rule"), ERRORS)
def test_invalid_names(raw: str, error: type[errors.ValidationError], rule: str) -> None:
    with pytest.raises(error, match=rule) as info:
        normalise_name(raw, field="FamilyName")
    assert type(info.value) is error
    assert info.value.field == "FamilyName"
    assert str(info.value).startswith("FamilyName: ")
    assert info.value.rule in RULES
    if raw.strip():
        assert raw.strip() not in str(info.value)
        assert raw.strip() not in repr(info.value)


@pytest.mark.parametrize("value", [None, 42, 3.5, b"Smith", ["Smith"], {"Smith": 1}])
def test_non_strings(value: object) -> None:
    with pytest.raises(errors.InvalidFormat, match="must be given as a string") as info:
        normalise_name(value, field="GivenName")  # type: ignore[arg-type]
    assert info.value.field == "GivenName"
    assert name_key(value) == ""
    assert name_parts(value) == ()
    assert alias_groups(value) == frozenset()  # type: ignore[arg-type]
    assert are_aliases(value, "John") is False  # type: ignore[arg-type]
    assert patronymic_equivalents(value) == frozenset()  # type: ignore[arg-type]


def test_str_subclass_is_accepted() -> None:
    class Name(str):
        pass

    assert normalise_name(Name(" Siân ")) == "Siân"
    assert type(normalise_name(Name("Siân"))) is str
    assert name_key(Name("Siân")) == "SIAN"


def test_max_length_and_field_are_honoured_for_cached_failures() -> None:
    assert normalise_name("A" * 40, max_length=50) == "A" * 40
    for field in ("GivenName", "FamilyName", "PlaceOfBirth"):
        with pytest.raises(errors.MissingValue) as info:
            normalise_name(" ", field=field)
        assert info.value.field == field
    with pytest.raises(errors.InvalidLength, match="at most 3 characters"):
        normalise_name("Anne", max_length=3)
    assert normalise_name("Anne", max_length=4) == "Anne"


# -- keys -----------------------------------------------------------------------------------

KEYS = [
    ("o'brien", "OBRIEN"),
    ("SMITH - JONES", "SMITH JONES"),
    ("Smith-Jones", "SMITH JONES"),
    ("Siân", "SIAN"),
    ("Llŷr", "LLYR"),
    ("Łukasz", "LUKASZ"),
    ("Øyvind", "OYVIND"),
    ("Strauß", "STRAUSS"),
    ("STRAUSS", "STRAUSS"),
    ("Ærin Þórsdóttir", "AERIN THORSDOTTIR"),
    ("Œuvre", "OEUVRE"),
    ("Đorđević", "DORDEVIC"),
    ("Nguyễn", "NGUYEN"),
    ("Çağla Şahin", "CAGLA SAHIN"),
    ("İlkay", "ILKAY"),
    ("ﬁnn", "FINN"),
    ("Ｓｍｉｔｈ", "SMITH"),
    ("Иван Петров", "IVAN PETROV"),
    ("Γιώργος", "GIORGOS"),
    ("Mr John Smith", "JOHN SMITH"),
    ("Mrs. Jane Smith", "JANE SMITH"),
    ("The Rev. Dr. Iolo Jones", "IOLO JONES"),
    ("Sir Tom Jones", "TOM JONES"),
    ("Major General Sir John Smith", "JOHN SMITH"),
    ("John Smith Jr.", "JOHN SMITH"),
    ("John Smith, Esq.", "JOHN SMITH"),
    ("William Smith III", "WILLIAM SMITH"),
    ("Thomas Clifford, 1st Baron", "THOMAS CLIFFORD BARON"),
    ("Mary Smith widow", "MARY SMITH"),
    ("Lord", "LORD"),  # a title alone is kept: it is a surname too
    ("Major", "MAJOR"),
    ("Mr", "MR"),
    ("Amartya Sen", "AMARTYA SEN"),
    ("O'Brien", "OBRIEN"),
    ("O Brien", "OBRIEN"),
    ("OBrien", "OBRIEN"),
    ("O’Brien", "OBRIEN"),
    ("O' Brien", "OBRIEN"),
    ("Ó Briain", "OBRIAIN"),
    ("D'Arcy", "DARCY"),
    ("D´Arcy", "DARCY"),
    ("L'Estrange", "LESTRANGE"),
    ("A'Court", "ACOURT"),
    ("Dell'Acqua", "DELL ACQUA"),
    ("Ng'ang'a", "NG ANG A"),
    ("McDonald", "MACDONALD"),
    ("MacDonald", "MACDONALD"),
    ("Mac Donald", "MACDONALD"),
    ("Mc Donald", "MACDONALD"),
    ("M'Donald", "MACDONALD"),
    ("McKay", "MACKAY"),
    ("Mackay", "MACKAY"),
    ("Mace", "MACE"),
    ("Machin", "MACHIN"),
    ("Mack", "MACK"),
    ("Mac", "MAC"),
    ("Fitz Gerald", "FITZGERALD"),
    ("St John", "SAINT JOHN"),
    ("St. John-Smith", "SAINT JOHN SMITH"),
    ("Dafydd ap Rhys", "DAFYDD AP RHYS"),
    ("ab Owen", "AB OWEN"),
    ("Gwenllian ferch Dafydd", "GWENLLIAN FERCH DAFYDD"),
    ("Ní Bhriain", "NI BHRIAIN"),
    ("Jean-Luc", "JEAN LUC"),
    ("  ", ""),
    ("42", ""),
    ("R2-D2", "R D"),
    ("!!!", ""),
    ("😀", ""),
    ("李", ""),
]


@pytest.mark.parametrize(("raw", "key"), KEYS)
def test_keys(raw: str, key: str) -> None:
    assert name_key(raw) == key
    assert name_parts(raw) == tuple(key.split())
    assert name_key(key) == key


SAME_KEY = [
    ["Siân", "Sian", "SIAN", "siân", "Sia\u0302n"],
    ["Llŷr", "Llyr", "LLŶR"],
    ["Strauß", "Strauss", "STRAUSS"],
    ["McDonald", "MacDonald", "Mac Donald", "Mc Donald", "MCDONALD", "mcdonald", "M'Donald"],
    ["O'Brien", "O Brien", "OBrien", "O’Brien", "o'brien", "O-Brien", "Ó Brien"],
    ["Smith-Jones", "SMITH - JONES", "Smith Jones", "smith–jones"],
    ["Mr John Smith", "John Smith", "JOHN SMITH", "Dr. John Smith Jnr"],
    ["Zoë", "Zoe", "ZOË", "Zoe\u0308"],
]


@pytest.mark.parametrize("group", SAME_KEY, ids=[g[0] for g in SAME_KEY])
def test_same_key(group: list[str]) -> None:
    assert len({name_key(name) for name in group}) == 1


# -- aliases --------------------------------------------------------------------------------

ALIASES = [
    ("Dafydd", "David"),
    ("Dafydd", "Dai"),
    ("Dave", "Dafydd"),
    ("Ieuan", "Evan"),
    ("Ianto", "John"),
    ("Siân", "Jane"),
    ("Sian", "Jean"),
    ("Huw", "Hugh"),
    ("Owain", "Owen"),
    ("Rhys", "Reece"),
    ("Rees", "Rhys"),
    ("Gwilym", "William"),
    ("Iolo", "Iorwerth"),
    ("Sioned", "Janet"),
    ("Siôn", "John"),
    ("William", "Bill"),
    ("Liam", "William"),
    ("Wm", "William"),
    ("Thos", "Thomas"),
    ("Jno", "John"),
    ("Geo", "George"),
    ("Chas", "Charles"),
    ("Jas", "James"),
    ("Saml", "Samuel"),
    ("Robt", "Bob"),
    ("Richd", "Dick"),
    ("Margt", "Peggy"),
    ("Eliz", "Betty"),
    ("Harry", "Harold"),
    ("Harry", "Henry"),
    ("Sam", "Samantha"),
    ("Sam", "Samuel"),
    ("Katherine", "Catherine"),
    ("Kate", "Kathy"),
    ("Mohammed", "Muhammad"),
    ("Seán", "John"),
    ("Pádraig", "Paddy"),
    ("Iain", "Ian"),
    ("Alasdair", "Sandy"),
    ("Gulielmus", "William"),
]

NOT_ALIASES = [
    ("Harold", "Henry"),  # both Harry, but not each other
    ("Samuel", "Samantha"),
    ("John", "Jane"),
    ("Jim", "Tom"),
    ("David", "Daniel"),
    ("Price", "Rhys"),  # a patronymic, not a given-name alias
    ("", ""),
    ("X", "Y"),
]


@pytest.mark.parametrize(("a", "b"), ALIASES)
def test_aliases(a: str, b: str) -> None:
    assert are_aliases(a, b)
    assert are_aliases(b, a)
    assert are_aliases(name_key(a), name_key(b))


@pytest.mark.parametrize(("a", "b"), NOT_ALIASES)
def test_not_aliases(a: str, b: str) -> None:
    assert not are_aliases(a, b)
    assert not are_aliases(b, a)


def test_equal_names_are_aliases() -> None:
    assert are_aliases("Xerxes", "XERXES")
    assert are_aliases("Siân", "Sian")
    assert not alias_groups("XERXES")


def test_alias_table_is_well_formed() -> None:
    names._load_aliases()
    groups = names._GROUPS
    assert len(groups) >= 300
    for group in groups:
        assert len(group) >= 2, group
        for key in group:
            assert re.fullmatch(r"[A-Z]+", key), key
    for key, ids in names._ALIASES.items():
        for group_id in ids:
            assert key in alias_group(group_id)


@given(st.sampled_from(sorted(names._load_aliases())), st.sampled_from(sorted(names._ALIASES)))
def test_are_aliases_is_symmetric(a: str, b: str) -> None:
    assert are_aliases(a, b) == are_aliases(b, a)
    assert are_aliases(a, a)


# -- patronymics ----------------------------------------------------------------------------

PATRONYMIC = [
    ("ap Rhys", {"PRICE", "PRYCE", "PREECE", "RHYS", "REES", "REECE"}),
    ("AP RHYS", {"PRICE", "PRYCE"}),
    ("ap Hywel", {"POWELL", "HOWELL"}),
    ("ab Owen", {"BOWEN", "OWEN"}),
    ("ab Owain", {"BOWEN", "OWEN", "AB OWEN", "AP OWEN"}),
    ("ap Huw", {"PUGH", "HUGHES"}),
    ("ap Richard", {"PRITCHARD"}),
    ("ap Robert", {"PROBERT"}),
    ("ap Harry", {"PARRY"}),
    ("ab Evan", {"BEVAN"}),
    ("ab Einion", {"BEYNON"}),
    ("ap Rhydderch", {"PROTHERO"}),
    ("ap Rosser", {"PROSSER"}),
    ("ferch Rhys", {"PRICE", "REES", "AP RHYS"}),
    ("Dafydd ap Rhys", {"PRICE"}),
    ("Price", {"AP RHYS", "PRYCE", "REES"}),
    ("Bowen", {"AB OWEN"}),
]


@pytest.mark.parametrize(("key", "expected"), PATRONYMIC)
def test_patronymic_equivalents(key: str, expected: set[str]) -> None:
    found = patronymic_equivalents(key)
    assert expected <= found
    assert name_key(key) not in found


@pytest.mark.parametrize("key", ["Smith", "", "AP", "AP SMITH", "ap", "Rhys ap"])
def test_no_patronymic_equivalents(key: str) -> None:
    assert patronymic_equivalents(key) == frozenset()


DAUGHTER_OF = names.PATRONYMIC_WORDS - {"AP", "AB"}


@given(st.sampled_from(sorted(names._PATRONYMICS)))
def test_patronymic_equivalence_is_symmetric(key: str) -> None:
    """Son-of forms and surnames are all equivalent; daughter-of forms point to them."""
    assert name_key(key) == key
    for other in patronymic_equivalents(key):
        assert KEY.fullmatch(other)
        assert other.split()[0] not in DAUGHTER_OF
        if key.split()[0] not in DAUGHTER_OF:
            assert key in patronymic_equivalents(other)


# -- properties -----------------------------------------------------------------------------

TEXT = st.text(
    st.characters(exclude_categories=["Cs"]) | st.sampled_from("'’`´-–. \t\u0301ßłøÆ0MmOoCc"),
    max_size=40,
)


@given(st.text())
@example("\ud800")
@example("Mr -")
@example("O'")
@example("M' ")
@example("ŉ")
def test_name_key_never_raises_and_is_ascii(text: str) -> None:
    key = name_key(text)
    assert KEY.fullmatch(key)
    assert name_parts(text) == tuple(key.split())


@given(TEXT)
def test_name_key_is_idempotent(text: str) -> None:
    key = name_key(text)
    assert name_key(key) == key


@given(st.text())
def test_normalise_name_raises_only_our_errors(text: str) -> None:
    try:
        display = normalise_name(text)
    except errors.ValidationError as exc:
        assert exc.field == "Name"
        assert exc.rule in RULES
        assert isinstance(exc, errors.MissingValue | errors.InvalidName | errors.InvalidLength)
        return
    assert 1 <= len(display) <= 35
    assert display == display.strip()
    assert "  " not in display
    assert unicodedata.is_normalized("NFC", display)


@given(TEXT | name_strategy().map(str.upper) | name_strategy().map(lambda n: f" mr {n}  "))
@example("D\u1fefArcy")
@example("O\u2028Brien")
@example("Mr - John")
def test_normalise_is_idempotent_and_keeps_the_key(text: str) -> None:
    try:
        display = normalise_name(text)
    except errors.ValidationError:
        return  # most arbitrary text is no name: refusing it is the other right answer
    assert normalise_name(display) == display
    assert name_key(display) == name_key(text)


@given(name_strategy())
def test_strategy_names_are_display_forms(name: str) -> None:
    assert normalise_name(name) == name
    key = name_key(name)
    assert key
    assert name_key(name.upper()) == key == name_key(name.lower())


@given(family_names(kinds=["english", "welsh", "accented"]))
def test_o_and_mac_prefixes(family: str) -> None:
    tail = family.replace(" ", "").replace("'", "")
    assume(tail[:1].isupper())
    assert name_key(f"O'{tail}") == name_key(f"O {tail}") == name_key(f"O{tail}")
    assert name_key(f"Mc{tail}") == name_key(f"Mac{tail}") == name_key(f"Mac {tail}")
    assert name_key(f"Mc {tail}") == name_key(f"M'{tail}") == name_key(f"Mac{tail}")


@given(given_names(), family_names())
def test_titles_and_suffixes_are_dropped(given_name: str, family: str) -> None:
    assume(name_parts(given_name)[0] not in names.TITLES)
    assume(name_parts(family)[-1] not in names.SUFFIXES)
    plain = name_key(f"{given_name} {family}")
    assert name_key(f"Mr. {given_name} {family}") == plain
    assert name_key(f"Dr {given_name} {family} Jnr") == plain


@pytest.mark.parametrize("kinds", [[], ["martian"], "welsh"])
def test_strategy_kinds_are_checked(kinds: list[str]) -> None:
    with pytest.raises(ValueError, match="kinds"):
        given_names(kinds=kinds)


@pytest.mark.parametrize("kind", NAME_KINDS)
@given(data=st.data())
def test_every_kind_draws_valid_names(kind: str, data: st.DataObject) -> None:
    for strategy in (given_names(kinds=[kind]), family_names(kinds=[kind])):
        name = data.draw(strategy)
        assert normalise_name(name) == name
