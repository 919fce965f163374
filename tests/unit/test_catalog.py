"""The catalog an office edits: the shipped files load, and broken ones say where they are broken."""

import textwrap
from pathlib import Path

import pytest

from nagarik.shared.catalog import parse_applications, parse_catalog
from nagarik.shared.seed_files import SeedFileError

SEED = Path(__file__).resolve().parents[2] / "seed"


def test_shipped_catalog_loads_with_every_language():
    catalog = parse_catalog(SEED / "catalog.yml")
    assert len(catalog.services) >= 12
    for service in catalog.services:
        assert set(service.names) == {"en", "hi", "kn"}
        assert all(service.documents[lang] and service.steps[lang] for lang in ("en", "hi", "kn"))
    assert {c.key for c in catalog.grievance_categories} >= {
        "sanitation",
        "streetlight",
        "roads",
        "water_supply",
        "drainage",
        "other",
    }
    applications = parse_applications(SEED / "applications.yml", catalog)
    owners = {a.number: a.phone for a in applications}
    assert owners["BC-2026-001234"] == "919876543210" and owners["TL-2026-000981"] != "919876543210"


def broken(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the shipped catalog with one edit, as a clerk might make it."""
    text = (SEED / "catalog.yml").read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "catalog.yml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def test_missing_translation_names_the_line(tmp_path):
    path = broken(
        tmp_path,
        "names: {en: Birth certificate, hi: जन्म प्रमाण पत्र, kn: ಜನನ ಪ್ರಮಾಣ ಪತ್ರ}",
        "names: {en: Birth certificate, hi: जन्म प्रमाण पत्र}",
    )
    with pytest.raises(SeedFileError) as error:
        parse_catalog(path)
    assert (
        str(error.value)
        == f"{path}:{line_of(path, 'names: {en: Birth certificate')}: service 'birth_certificate': names is missing 'kn'"
    )


def test_unknown_department_names_the_line(tmp_path):
    path = broken(tmp_path, "department: health", "department: helth")
    with pytest.raises(SeedFileError) as error:
        parse_catalog(path)
    assert f"catalog.yml:{line_of(path, 'department: helth')}:" in str(
        error.value
    ) and "department 'helth' is not in departments" in str(error.value)


def test_yaml_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "catalog.yml"
    path.write_text("version: 1\noffice:\n  key: x\n  name: {en: [unclosed\n", encoding="utf-8")
    with pytest.raises(SeedFileError, match=r"catalog\.yml:\d+: not valid YAML"):
        parse_catalog(path)


def test_duplicate_key_names_the_line(tmp_path):
    path = tmp_path / "catalog.yml"
    path.write_text("version: 1\nversion: 2\n", encoding="utf-8")
    with pytest.raises(SeedFileError, match=r"catalog\.yml:2: duplicate key 'version'"):
        parse_catalog(path)


def test_wrong_type_names_the_line(tmp_path):
    path = broken(tmp_path, "sla_days: 3", "sla_days: three")
    with pytest.raises(SeedFileError, match=r"catalog\.yml:\d+: grievance category '\w+': 'sla_days' must be int"):
        parse_catalog(path)


def test_application_with_wrong_prefix_names_the_line(tmp_path):
    catalog = parse_catalog(SEED / "catalog.yml")
    path = tmp_path / "applications.yml"
    path.write_text(
        textwrap.dedent(
            """\
            - number: BC-2026-000001
              service: birth_certificate
              applicant: A
              phone: "919999999999"
              date_of_birth: 1990-01-01
              stage: submitted
              submitted_on: 2026-11-01
            - number: XX-2026-000002
              service: birth_certificate
              applicant: B
              phone: "919999999998"
              date_of_birth: 1990-01-01
              stage: submitted
              submitted_on: 2026-11-01
            """
        ),
        encoding="utf-8",
    )
    with pytest.raises(SeedFileError, match=r"applications\.yml:8: application #2: XX-2026-000002 does not use the prefix BC"):
        parse_applications(path, catalog)
