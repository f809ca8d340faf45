"""The service catalogue and the Latvian text normalisation it relies on."""
from __future__ import annotations

import pytest

from knowledge_base.catalogue import load_catalogue
from nlu.latvian_text import fold, stems


def test_catalogue_has_services_with_synonyms_and_handling_time() -> None:
    catalogue = load_catalogue()
    assert len(catalogue.services) >= 15
    assert len({s.id for s in catalogue.services}) == len(catalogue.services)
    assert all(s.synonyms and s.handling_days > 0 and s.unit for s in catalogue.services)


@pytest.mark.parametrize(
    "text, service_id",
    [
        ("Gribu pieteikt bērnu bērnudārzā", "kindergarten_queue"),
        ("bernudarza rinda", "kindergarten_queue"),
        ("velos deklaret dzivesvietu", "residence_declaration"),
        ("man vajag izziņu par ģimenes sastāvu", "certificate"),
        ("Gribu nozāģēt koku savā pagalmā", "tree_cutting_permit"),
        ("stavvietas atlauja pie majas", "parking_permit"),
        ("vajag jaunu atkritumu konteineru", "waste_contract"),
    ],
)
def test_identifies_the_service_despite_endings_and_missing_diacritics(text: str, service_id: str) -> None:
    assert load_catalogue().identify(text).id == service_id


@pytest.mark.parametrize("text", ["man vajag atļauju", "gribu pieteikties uz kaut ko", "lidmašīnas noma"])
def test_is_unsure_rather_than_wrong(text: str) -> None:
    assert load_catalogue().identify(text) is None


def test_ambiguous_text_offers_candidates() -> None:
    candidates = [s.id for s, _ in load_catalogue().search("man vajag atļauju")]
    assert "parking_permit" in candidates and "tree_cutting_permit" in candidates


def test_fold_and_stem() -> None:
    assert fold("Sūdzība ŽĒL") == "sudziba zel"
    assert stems("sūdzību sudzibas Sūdzība") == ["sudzib", "sudzib", "sudzib"]
