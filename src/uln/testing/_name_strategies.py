"""Hypothesis strategies for learner names.

Re-exported from :mod:`uln.testing.strategies`. Every strategy draws realistic names
already in their display form, so ``normalise_name(value) == value``: English, Welsh
(Siân, Llŷr, Gwenllïan, Dafydd ap Rhys), Irish (O'Brien, Ní Bhriain), Scottish
(MacDonald, McKay), hyphenated and double-barrelled, and accented (Zoë, José, Łukasz).

>>> from hypothesis import find
>>> from uln.demographics.names import normalise_name
>>> name = find(family_names(kinds=["irish"]), lambda value: "'" in value)
>>> normalise_name(name) == name
True
"""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st

from uln.demographics.names import MAX_LENGTH

__all__ = [
    "NAME_KINDS",
    "family_names",
    "given_names",
    "names",
]

NAME_KINDS: tuple[str, ...] = (
    "accented",
    "english",
    "hyphenated",
    "irish",
    "scottish",
    "welsh",
)
"""The kinds of name the strategies of this module draw."""

_GIVEN: dict[str, tuple[str, ...]] = {
    "english": (
        "Oliver", "George", "Harry", "Jack", "William", "Thomas", "James", "Charlie",
        "Olivia", "Amelia", "Isla", "Ava", "Emily", "Sophia", "Grace", "Lily", "Mohammed",
        "Elizabeth", "Margaret", "Jennifer", "Rebecca", "Samantha", "Christopher", "Kate",
        "Jo", "Al", "Ed", "Bea", "St. John", "Mary Ann", "Thos.", "Wm",
    ),
    "welsh": (
        "Siân", "Llŷr", "Gwenllïan", "Dafydd", "Rhys", "Ieuan", "Angharad", "Eluned",
        "Bethan", "Gwilym", "Siôn", "Ffion", "Cerys", "Rhodri", "Iolo", "Steffan", "Gethin",
        "Aled", "Tomos", "Elin", "Nia", "Lowri", "Heledd", "Hywel", "Gruffudd", "Llywelyn",
        "Owain", "Huw", "Sioned", "Ceinwen", "Emrys", "Dyfrig", "Gwawr", "Eirlys", "Siwan",
    ),
    "irish": (
        "Siobhán", "Seán", "Niamh", "Aoife", "Pádraig", "Caoimhe", "Saoirse", "Ciarán",
        "Oisín", "Órla", "Róisín", "Eoghan", "Tadhg", "Gráinne", "Máire", "Sinéad",
        "Donnchadh", "Fionnuala", "Mícheál", "Aodhán",
    ),
    "scottish": (
        "Iain", "Mairi", "Ealasaid", "Hamish", "Catrìona", "Ruairidh", "Eilidh", "Lachlan",
        "Seumas", "Morag", "Kirsty", "Alasdair", "Calum", "Isla", "Euan", "Murdo",
    ),
    "accented": (
        "Zoë", "José", "Łukasz", "Chloé", "Renée", "Björn", "Søren", "Małgorzata", "Jiří",
        "François", "Ünal", "Çağla", "Øyvind", "Ágnes", "Noémie", "Mihály", "Dóra",
        "Žofia", "Ştefan", "Þóra", "Ðorđe", "Ægir",
    ),
    "hyphenated": (),
}  # fmt: skip

_FAMILY: dict[str, tuple[str, ...]] = {
    "english": (
        "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
        "Patel", "Wright", "Khan", "Walker", "Evans", "Thompson", "Clarke", "Hughes",
        "Green", "Lord", "Young", "St John", "de la Mare", "van der Berg", "D'Arcy",
        "Smythe", "A'Court", "le Strange", "Major", "Ng",
    ),
    "welsh": (
        "ap Rhys", "ab Owen", "ap Hywel", "ab Einion", "ferch Dafydd", "Llywelyn", "Prys",
        "Gruffudd", "Price", "Powell", "Pugh", "Bowen", "Bevan", "Prosser", "Lloyd",
        "Vaughan", "Morgan", "Rhydderch", "ap Iorwerth", "Ifans", "Siôn", "Llŷr",
    ),
    "irish": (
        "O'Brien", "O'Neill", "O Sullivan", "Ní Bhriain", "Ó Súilleabháin", "Mac Cárthaigh",
        "Nic Dhomhnaill", "Ó Conaill", "MacCarthy", "Fitzgerald", "Ní Mhurchú", "Murphy",
        "O'Donnell", "Ua Néill", "Mac Giolla Phádraig",
    ),
    "scottish": (
        "MacDonald", "McKay", "Mac Donald", "Mackenzie", "McLeod", "MacLeòid", "Mac an t-Saoir",
        "M'Intosh", "Campbell", "Stewart", "MacGregor", "Mac Mhathain", "Menzies", "Dalziel",
    ),
    "accented": (
        "Müller", "Łukaszewski", "Strauß", "Nørgaard", "Gómez", "Núñez", "Ødegaard",
        "Đorđević", "Şahin", "Öztürk", "Dvořák", "Kowalczyk", "Brontë", "Citroën",
        "Ørsted", "Sæther", "Gísladóttir", "Ðurić", "Nguyễn", "Lefèvre",
    ),
    "hyphenated": (),
}  # fmt: skip


def _check(kinds: Sequence[str]) -> None:
    if isinstance(kinds, str) or not kinds or set(kinds) - set(NAME_KINDS):
        raise ValueError(f"kinds must be a non-empty subset of {NAME_KINDS}")


def _names_of(
    table: dict[str, tuple[str, ...]], kinds: Sequence[str], separators: Sequence[str]
) -> st.SearchStrategy[str]:
    """Names of ``kinds`` from ``table``; "hyphenated" joins two of them with a separator."""
    _check(kinds)
    chosen = [kind for kind in kinds if kind != "hyphenated"]
    pool = sorted({name for kind in chosen or NAME_KINDS for name in table[kind]})
    plain = st.sampled_from(pool)
    options = [plain] if chosen else []
    if "hyphenated" in kinds:
        part = plain.filter(lambda value: " " not in value and "." not in value)
        options.append(
            st.builds(
                lambda a, sep, b: f"{a}{sep}{b}", part, st.sampled_from(separators), part
            ).filter(lambda value: len(value) <= MAX_LENGTH)
        )
    return st.one_of(*options)


def given_names(*, kinds: Sequence[str] = NAME_KINDS) -> st.SearchStrategy[str]:
    """Given names of the given ``kinds`` (see :data:`NAME_KINDS`) in display form.

    ``"hyphenated"`` joins two given names with a hyphen (Anne-Marie, Siân-Elin).

    >>> from hypothesis import find
    >>> find(given_names(kinds=["welsh"]), lambda value: "ŷ" in value)
    'Llŷr'
    """
    return _names_of(_GIVEN, kinds, ["-"])


def family_names(*, kinds: Sequence[str] = NAME_KINDS) -> st.SearchStrategy[str]:
    """Family names of the given ``kinds`` (see :data:`NAME_KINDS`) in display form.

    ``"hyphenated"`` gives double-barrelled names, with a hyphen (Smith-Jones) or a
    space (Vaughan Williams).

    >>> from hypothesis import find
    >>> find(family_names(kinds=["scottish"]), lambda value: value.startswith("Mc"))
    'McKay'
    """
    return _names_of(_FAMILY, kinds, ["-", " "])


def names(*, kinds: Sequence[str] = NAME_KINDS) -> st.SearchStrategy[str]:
    """Given or family names of the given ``kinds`` (see :data:`NAME_KINDS`).

    >>> from hypothesis import find
    >>> from uln.demographics.names import name_key
    >>> name_key(find(names(kinds=["irish"]), lambda value: value.startswith("O'")))
    'OBRIEN'
    """
    return st.one_of(given_names(kinds=kinds), family_names(kinds=kinds))
