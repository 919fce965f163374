"""A citizen's name as they write it in a message ("my name is Asha Rao", "mera naam Asha hai",
"मेरा नाम आशा है", "ನನ್ನ ಹೆಸರು ಆಶಾ"), for correcting it by chat.

The name is taken only from the words around it that say "this is my name", never guessed from a
bare message, and refused if it does not look like a name (digits, too many words, or the words
of a request such as "my name is wrong").
"""

from __future__ import annotations

import re
import unicodedata

MAX_NAME_CHARS = 64
MAX_NAME_WORDS = 5

_END = r"[\s.!?।*\"']*$"
_HI_VERBS = r"(?:कर\s*दो|कर\s*दें|कर\s*दीजिए|करो|करें|कीजिए|लिखो|लिखें|लिखिए|लिख\s*दो|रखो|रखें|रख\s*दो|रखिए)"
_HINGLISH_VERBS = r"(?:kar\s*do|kr\s*do|karo|kro|kar\s*dijiye|kar\s*dena|likho|likh\s*do|likhiye|rakho|rakh\s*do|rakhiye)"
_KN_VERBS = r"(?:ಎಂದು|ಅಂತ)"
# Most specific first: "change my name to X" before "my name is X", "मेरा नाम X कर दो" before "मेरा नाम X है".
_PATTERNS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        # English
        r"(?:^|\s)name\s+(?:to|as|into)\s+(?P<name>.+?)" + _END,
        r"(?:^|\s)name\s+should\s+be\s+(?P<name>.+?)" + _END,
        r"(?:^|\s)name\s*(?:is\s+|'s\s+|[:=\-]\s*)(?P<name>.+?)" + _END,
        # Hinglish
        r"(?:^|\s)naam\s+(?:badal\w*\s+(?:ke\s+|kar\s+|kr\s+)?)?(?P<name>.+?)\s+" + _HINGLISH_VERBS + _END,
        r"(?:^|\s)(?:mera|mere|mra|meraa)\s+naam\s+(?P<name>.+?)\s+(?:hai|he|h|hain)" + _END,
        r"(?:^|\s)naam\s*[:=\-]\s*(?P<name>.+?)" + _END,
        # Hindi
        r"नाम\s+(?:बदल\S*\s+)?(?P<name>.+?)\s+" + _HI_VERBS + _END,
        r"मेरा\s+नाम\s+(?P<name>.+?)\s*(?:है|हैं|हे)?" + _END,
        r"नाम\s*[:=\-]\s*(?P<name>.+?)" + _END,
        # Kannada
        r"ಹೆಸರನ್ನು\s+(?P<name>.+?)\s+" + _KN_VERBS + r"(?:\s.*)?$",
        r"ನನ್ನ\s+ಹೆಸರು\s+(?P<name>.+?)(?:\s+(?:ಎಂದು|ಅಂತ|ಆಗಿದೆ|ಇದೆ)(?:\s.*)?)?" + _END,
        r"ಹೆಸರು\s*[:=\-]\s*(?P<name>.+?)" + _END,
    )
]
# Words of the request itself: "my name is wrong", "mera naam badalna hai", "ನನ್ನ ಹೆಸರು ಬದಲಾಯಿಸಿ".
_NOT_NAMES = frozenset(
    """wrong right correct incorrect change changed update updated spelled spelling misspelt misspelled
    not what my your the a an please pls plz is to as
    galat sahi theek thik badal badlo badalna badalni change karna kya mera naam hai
    गलत सही ठीक बदल बदलो बदलना बदलनी क्या मेरा नाम है करना
    save add karo kro
    ತಪ್ಪು ತಪ್ಪಾಗಿದೆ ಸರಿ ಬದಲಾಯಿಸಿ ಬದಲಿಸಿ ಬದಲಾವಣೆ ಏನು ನನ್ನ ಹೆಸರು ಅಲ್ಲ ಸೇರಿಸಿ ಮಾಡಿ ಅಪ್ಡೇಟ್
    लिखिए कीजिए जोड़ जोड़िए नहीं अपडेट""".split()
)


def _is_name_word(word: str) -> bool:
    return all(unicodedata.category(ch)[0] in "LM" or ch in ".'-" for ch in word) and any(
        unicodedata.category(ch)[0] == "L" for ch in word
    )


def clean_name(text: str) -> str | None:
    """A name as we keep it (Latin words capitalised), or None if this does not look like one."""
    words = text.strip(" \t\n.,!?।*\"'").split()
    if not words or len(words) > MAX_NAME_WORDS or not all(_is_name_word(w) for w in words):
        return None
    if any(word.lower().strip(".'-") in _NOT_NAMES for word in words):
        return None
    name = " ".join(w[:1].upper() + w[1:] if w.isascii() else w for w in words)
    return name if len(name) <= MAX_NAME_CHARS else None


def name_in_text(text: str) -> str | None:
    """The name a message gives as the citizen's own, if it gives one."""
    text = " ".join(text.split())
    for pattern in _PATTERNS:
        found = pattern.search(text)
        if found:
            return clean_name(found.group("name"))
    return None
