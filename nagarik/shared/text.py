"""Normalising what citizens type: identifiers, dates, digits and names from the catalog.

Uses only the standard library so both environments can import it. Word boundaries are
written as look-arounds on whitespace and punctuation, never `\\b`, because `\\b` breaks on
Kannada and Devanagari vowel signs.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

# Devanagari and Kannada digits -> ASCII, so "१५-०८-१९९०" is a date like any other.
_DIGITS = str.maketrans("०१२३४५६७८९೦೧೨೩೪೫೬೭೮೯", "01234567890123456789")

_EDGE_BEFORE = r"(?<![A-Za-z0-9])"
_EDGE_AFTER = r"(?![A-Za-z0-9])"
_APPLICATION_RE = re.compile(_EDGE_BEFORE + r"([A-Za-z]{2,4})[\s\-/]*(20\d\d)[\s\-/]*(\d{6})" + _EDGE_AFTER)
_GRIEVANCE_RE = re.compile(_EDGE_BEFORE + r"(GRV)[\s\-/]*(20\d\d)[\s\-/]*(\d{6})" + _EDGE_AFTER, re.I)

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january", "जनवरी", "ಜನವರಿ"),
            ("feb", "february", "फरवरी", "ಫೆಬ್ರವರಿ"),
            ("mar", "march", "मार्च", "ಮಾರ್ಚ್"),
            ("apr", "april", "अप्रैल", "ಏಪ್ರಿಲ್"),
            ("may", "मई", "ಮೇ"),
            ("jun", "june", "जून", "ಜೂನ್"),
            ("jul", "july", "जुलाई", "ಜುಲೈ"),
            ("aug", "august", "अगस्त", "ಆಗಸ್ಟ್"),
            ("sep", "sept", "september", "सितंबर", "ಸೆಪ್ಟೆಂಬರ್"),
            ("oct", "october", "अक्टूबर", "ಅಕ್ಟೋಬರ್"),
            ("nov", "november", "नवंबर", "ನವೆಂಬರ್"),
            ("dec", "december", "दिसंबर", "ಡಿಸೆಂಬರ್"),
        ],
        start=1,
    )
    for name in names
}


def ascii_digits(text: str) -> str:
    return text.translate(_DIGITS)


def parse_application_number(text: str) -> str | None:
    """Find an application number like BC-2026-001234 in any spacing or case."""
    match = _APPLICATION_RE.search(ascii_digits(text))
    if not match or match.group(1).upper() == "GRV":
        return None
    prefix, year, serial = match.groups()
    return f"{prefix.upper()}-{year}-{serial}"


def parse_grievance_id(text: str) -> str | None:
    match = _GRIEVANCE_RE.search(ascii_digits(text))
    if not match:
        return None
    return f"GRV-{match.group(2)}-{match.group(3)}"


def looks_like_an_attempted_number(text: str) -> bool:
    """True when the citizen clearly tried to type an ID (letters and several digits)."""
    digits = sum(ch.isdigit() for ch in ascii_digits(text))
    return digits >= 4


def parse_date(text: str) -> dt.date | None:
    """Dates as citizens write them: 15-08-1990, 15/8/1990, 1990-08-15, 15 aug 1990, 15 अगस्त 1990."""
    cleaned = ascii_digits(text).lower()
    match = re.search(r"(\d{4})[\-/.](\d{1,2})[\-/.](\d{1,2})", cleaned)
    if match:
        year, month, day = (int(g) for g in match.groups())
        return _safe_date(year, month, day)
    match = re.search(r"(\d{1,2})[\-/. ](\d{1,2})[\-/. ](\d{4})", cleaned)
    if match:
        day, month, year = (int(g) for g in match.groups())
        return _safe_date(year, month, day)
    match = re.search(r"(\d{1,2})(?:st|nd|rd|th)?[\s\-/.,]*([^\d\s\-/.,]+)[\s\-/.,]*(\d{4})", cleaned)
    if match and match.group(2) in _MONTHS:
        return _safe_date(int(match.group(3)), _MONTHS[match.group(2)], int(match.group(1)))
    return None


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


NUKTA = "\u093c"  # ज़/ज, फ़/फ: citizens type both, so matching ignores it
# Zero-width non-joiner and joiner: phone keyboards put them inside Indic words (ಸರ್ಟಿಫಿಕೇಟ್‌,
# ಆರ್‌ಟಿಐ) where the catalog has none; they change how a word is drawn, never which word it is.
ZERO_WIDTH = "\u200c\u200d"
_ZERO_WIDTH_OUT = str.maketrans("", "", ZERO_WIDTH)


def fold(text: str) -> str:
    """Lower-case, no nukta, no ZWNJ/ZWJ, NFC, punctuation to spaces, single spaces: how synonyms
    are compared."""
    text = unicodedata.normalize("NFD", ascii_digits(text)).replace(NUKTA, "").translate(_ZERO_WIDTH_OUT)
    text = unicodedata.normalize("NFC", text).lower()
    # Keep letters, combining marks (vowel signs, virama) and digits; everything else separates.
    kept = [ch if unicodedata.category(ch)[0] in ("L", "M", "N") else " " for ch in text]
    return " ".join("".join(kept).split())


def _is_indic(word: str) -> bool:
    return any("\u0900" <= ch <= "\u0cff" for ch in word)


# Vowel signs, viramas and other combining marks of the Devanagari-to-Kannada blocks. A case
# ending starts with a new letter; a combining mark after a word means the word goes on
# (कार + ्ड is कार्ड, not कार with an ending).
INDIC_COMBINING_MARKS = "".join(ch for ch in map(chr, range(0x0900, 0x0D00)) if unicodedata.category(ch).startswith("M"))
MAX_CASE_ENDING = 5


def takes_case_ending(word: str, stem: str) -> bool:
    """Whether `word` is the Indic `stem` followed by a case ending (ಪತ್ರಕ್ಕೆ for ಪತ್ರ)."""
    rest = word[len(stem) :] if word.startswith(stem) else ""
    return 0 < len(rest) <= MAX_CASE_ENDING and rest[0] not in INDIC_COMBINING_MARKS


# The letters a consonant may be typed as: itself or its precomposed nukta form (ज: ज, ज़).
_NUKTA_FORMS: dict[str, set[str]] = {}
for _code in range(0x0900, 0x0980):
    _decomposed = unicodedata.normalize("NFD", chr(_code))
    if len(_decomposed) == 2 and _decomposed[1] == NUKTA:
        _NUKTA_FORMS.setdefault(_decomposed[0], set()).add(chr(_code))


def indic_word_regex(word: str) -> str:
    """A regular expression (no anchors) for an Indic word as a phone may type it: ZWNJ or ZWJ
    anywhere inside it, with or without nukta (spaCy's entity ruler compares raw token text)."""
    parts = []
    for letter in fold(word):
        forms = sorted({letter, *_NUKTA_FORMS.get(letter, ())})
        choice = re.escape(letter) if len(forms) == 1 else f"(?:{'|'.join(map(re.escape, forms))})"
        parts.append(f"{choice}[{ZERO_WIDTH}{NUKTA}]*")
    return "".join(parts)


def case_ending_regex(stem: str) -> str:
    """The same rule as takes_case_ending as a regular expression for spaCy's entity ruler (no
    `\\b`), with indic_word_regex's spellings of the stem. Kannada keyboards often put a zero-width
    non-joiner before the ending (ಲೈಸೆನ್ಸ್‌ಗೆ)."""
    not_a_mark = f"[^{re.escape(INDIC_COMBINING_MARKS)}{ZERO_WIDTH}\\s]"
    return f"^{indic_word_regex(stem)}(?:{not_a_mark}\\S{{0,{MAX_CASE_ENDING - 1}}})?$"


def synonym_in_text(synonym: str, text: str) -> bool:
    """Whether a catalog synonym occurs in a message.

    Whole words, except that a final Hindi or Kannada word may carry a case ending
    (ಪತ್ರಕ್ಕೆ for ಪತ್ರ, ಲೈಸೆನ್ಸ್‌ಗೆ for ಲೈಸೆನ್ಸ್). Romanised words may be misspelt by one
    character when they are long enough for that to be safe.
    """
    syn_words = fold(synonym).split()
    words = fold(text).split()
    if not syn_words or len(words) < len(syn_words):
        return False
    for start in range(len(words) - len(syn_words) + 1):
        window = words[start : start + len(syn_words)]
        if all(
            _word_matches(s, w, last=(i == len(syn_words) - 1)) for i, (s, w) in enumerate(zip(syn_words, window, strict=True))
        ):
            return True
    return False


def _word_matches(expected: str, actual: str, last: bool) -> bool:
    if expected == actual:
        return True
    if last and _is_indic(expected) and takes_case_ending(actual, expected):
        return True
    if not _is_indic(expected) and len(expected) >= 6:
        return difflib.SequenceMatcher(None, expected, actual).ratio() >= 0.85
    return False


def best_match(text: str, candidates: Iterable[tuple[str, Iterable[str]]]) -> str | None:
    """The key whose synonym occurs in the text; the longest synonym wins ties ("death certificate"
    over "certificate")."""
    best: tuple[int, str] | None = None
    for key, synonyms in candidates:
        for synonym in synonyms:
            if synonym_in_text(synonym, text):
                score = len(fold(synonym))
                if best is None or score > best[0]:
                    best = (score, key)
    return best[1] if best else None


def named_in_text(text: str, items: Iterable[Any]) -> str | None:
    """The key of the catalog item (service, category, ward, topic) the text names by any of its
    names or synonyms; the longest match wins."""
    return best_match(text, ((item.key, (*item.synonyms, *item.names.values())) for item in items))


def closest_named(text: str, items: Iterable[Any], cutoff: float = 0.8) -> str | None:
    """Like named_in_text, forgiving a misspelling ("jaynagr", "basavangudi"): the key whose name
    or synonym is most like the text, or like as many of its words, if at least `cutoff` alike."""
    key = named_in_text(text, items)
    if key:
        return key
    words = fold(text).split()
    best: tuple[float, str] | None = None
    for item in items:
        for name in (*item.synonyms, *item.names.values()):
            size = len(fold(name).split())
            for start in range(max(len(words) - size + 1, 1)):
                ratio = difflib.SequenceMatcher(None, fold(name), " ".join(words[start : start + size])).ratio()
                if ratio >= cutoff and (best is None or ratio > best[0]):
                    best = (ratio, item.key)
    return best[1] if best else None


def normalise_place(text: str) -> str:
    """A comparable form of a free-text location ("5th Cross, near temple" == "5th cross near temple")."""
    return fold(text)


def similar_places(a: str, b: str) -> bool:
    left, right = normalise_place(a), normalise_place(b)
    if not left or not right:
        return False
    return left == right or difflib.SequenceMatcher(None, left, right).ratio() >= 0.85
