"""Build the spaCy pipeline Rasa's SpacyNLP loads: blank multilingual + an entity ruler.

`python -m nlu_pipeline.build_spacy [OUT_DIR]` (run in the Rasa environment; `make spacy`).
The ruler's patterns come from seed/catalog.yml, so an office adding a synonym rebuilds this,
and no spaCy model is ever downloaded. Patterns are token-based and lower-case (SpacyNLP
lower-cases text). Hindi and Kannada nouns take case endings (ಪತ್ರ -> ಪತ್ರಕ್ಕೆ, पत्र -> पत्रों),
so the last word of an Indic synonym may carry an ending (nagarik.shared.text.case_ending_regex).
Nothing here uses `\\b`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language

from nagarik.shared.catalog import Catalog, parse_catalog
from nagarik.shared.text import case_ending_regex, indic_word_regex

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = PROJECT_ROOT / "build" / "spacy_nagarik"
CATALOG = PROJECT_ROOT / "seed" / "catalog.yml"

# spaCy's blank tokenizer splits "bc-2026-001234" into "bc-2026", "-", "001234".
_ID_PATTERNS: list[tuple[str, list[dict[str, Any]]]] = [
    ("grievance_id", [{"LOWER": {"REGEX": r"^grv-?20\d\d$"}}, {"ORTH": "-", "OP": "?"}, {"LOWER": {"REGEX": r"^\d{6}$"}}]),
    ("grievance_id", [{"LOWER": "grv"}, {"LOWER": {"REGEX": r"^20\d\d$"}}, {"LOWER": {"REGEX": r"^\d{6}$"}}]),
    ("grievance_id", [{"LOWER": {"REGEX": r"^grv-?20\d{8}$"}}]),
    (
        "application_number",
        [{"LOWER": {"REGEX": r"^(?!grv)[a-z]{2,4}-?20\d\d$"}}, {"ORTH": "-", "OP": "?"}, {"LOWER": {"REGEX": r"^\d{6}$"}}],
    ),
    (
        "application_number",
        [{"LOWER": {"REGEX": r"^(?!grv)[a-z]{2,4}$"}}, {"LOWER": {"REGEX": r"^20\d\d$"}}, {"LOWER": {"REGEX": r"^\d{6}$"}}],
    ),
    ("application_number", [{"LOWER": {"REGEX": r"^(?!grv)[a-z]{2,4}-?20\d{8}$"}}]),
]


def _is_indic(word: str) -> bool:
    return any("\u0900" <= ch <= "\u0cff" for ch in word)


def phrase_pattern(nlp: Language, phrase: str) -> list[dict[str, Any]]:
    words = [token.text for token in nlp.make_doc(phrase.lower()) if not token.is_space]
    # Indic words by regular expression: typed with ZWNJ/ZWJ or nukta they are still the word.
    pattern: list[dict[str, Any]] = [
        {"LOWER": {"REGEX": f"^{indic_word_regex(word)}$"}} if _is_indic(word) else {"LOWER": word} for word in words
    ]
    if words and _is_indic(words[-1]):
        pattern[-1] = {"LOWER": {"REGEX": case_ending_regex(words[-1])}}
    return pattern


def catalog_patterns(nlp: Language, catalog: Catalog) -> list[dict[str, Any]]:
    groups: list[tuple[str, str, tuple[str, ...]]] = []
    for service in catalog.services:
        groups.append(("service", service.key, (*service.synonyms, *service.names.values())))
    for category in catalog.grievance_categories:
        groups.append(("grievance_category", category.key, (*category.synonyms, *category.names.values())))
    for ward in catalog.wards:
        groups.append(("ward", ward.key, (*ward.synonyms, *ward.names.values())))
    for language in catalog.languages:
        groups.append(("language", language.key, (*language.synonyms, language.name)))
    for subject in catalog.excluded_subjects:  # RTI, court matters, private disputes, policy
        groups.append(("excluded_subject", subject.key, (*subject.keywords, *subject.names.values())))

    patterns = []
    seen: set[tuple[str, str]] = set()
    for label, key, phrases in groups:
        for phrase in phrases:
            pattern = phrase_pattern(nlp, phrase)
            marker = (label, repr(pattern))
            if pattern and marker not in seen:
                seen.add(marker)
                patterns.append({"label": label, "pattern": pattern, "id": key})
    patterns.extend({"label": label, "pattern": pattern} for label, pattern in _ID_PATTERNS)
    return patterns


def build(catalog_path: Path = CATALOG) -> Language:
    catalog = parse_catalog(catalog_path)
    nlp = spacy.blank("xx")
    ruler = nlp.add_pipe("entity_ruler", config={"overwrite_ents": True})
    ruler.add_patterns(catalog_patterns(nlp, catalog))
    return nlp


def main(argv: list[str]) -> int:
    out = (Path(argv[0]) if argv else DEFAULT_OUT).resolve()
    nlp = build()
    out.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(out)
    count = len(nlp.get_pipe("entity_ruler").patterns)
    print(f"spaCy pipeline with {count} entity patterns written to {out.relative_to(PROJECT_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
