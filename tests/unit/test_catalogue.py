"""The service catalogue and the Latvian text normalisation it relies on."""
from __future__ import annotations

from typing import Callable, Iterable

import pytest

from bot.ops.catalogue_bench import GENERATED_SIZE, MESSAGES, generated_catalogue
from knowledge_base.catalogue import Catalogue, Service, load_catalogue, one_slip
from nlu.latvian_text import fold, stems

# Ids the rest of the bot relies on.
REQUIRED_IDS = (
    "residence_declaration", "social_benefit", "housing_benefit", "kindergarten_queue", "school_enrolment",
    "building_permit", "tree_cutting_permit", "waste_contract", "parking_permit", "property_tax", "certificate",
    "marriage_registration", "birth_registration", "trade_permit", "public_event_permit", "assistant_service",
    "home_care", "library_card", "information_request", "street_lighting", "roads_pavements",
    "trees_green_areas", "waste_collection", "abandoned_vehicles", "water_sewage", "playgrounds",
    "stray_animals", "public_order_noise",
)


def misidentified_phrases(
    catalogue: Catalogue, spellings: Iterable[Callable[[str], str]] = (str, str.upper, fold)
) -> list[str]:
    """Every name and synonym, typed alone in each spelling (by default as written, in capitals
    and without diacritics), that does not identify its own service."""
    misses = []
    for service in catalogue.services:
        for phrase in service.phrases:
            for typed in {spell(phrase) for spell in spellings}:
                found = catalogue.identify(typed)
                if found is None or found.id != service.id:
                    misses.append(f"{typed!r} of {service.id} -> {found.id if found else None}")
    return misses


def test_catalogue_has_services_with_synonyms_and_handling_time() -> None:
    catalogue = load_catalogue()
    assert len(catalogue.services) >= 65
    assert len({s.id for s in catalogue.services}) == len(catalogue.services)
    assert all(s.synonyms and s.handling_days > 0 and s.unit for s in catalogue.services)
    assert {s.id for s in catalogue.services} >= set(REQUIRED_IDS)
    assert catalogue.get("information_request").handling_days == 21


def test_every_name_and_synonym_typed_alone_finds_its_own_service() -> None:
    assert misidentified_phrases(load_catalogue()) == []


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


@pytest.mark.parametrize(
    "text",
    [
        "izziņa par deklarēto dzīvesvietu",
        "IZZIŅA PAR DEKLARĒTO DZĪVESVIETU",
        "izzina par deklareto dzivesvietu",
        "Lūdzu izsniegt izziņu, ka mana dzīvesvieta ir deklarēta šajā adresē",
    ],
)
def test_the_longer_phrase_wins_over_a_shorter_one_of_another_service(text: str) -> None:
    assert load_catalogue().identify(text).id == "certificate"


@pytest.mark.parametrize(
    "text, service_id",
    [
        ("Labdien! Mūsu ielā jau nedēļu nedeg laterna, vakaros ir pilnīgi tumšs. Lūdzu, salabojiet.", "street_lighting"),
        ("Pie veikala ir bojāts apgaismojuma stabs, tas sašķiebies un var uzkrist kādam virsū.", "street_lighting"),
        ("Brīvības ielā ir milzīga bedre, jau divas mašīnas pārsitušas riepas.", "roads_pavements"),
        ("Sveiki, pie skolas ietvē ir aka bez vāka! Bērns var iekrist, lūdzu steidzami.", "roads_pavements"),
        ("Ietve pie pastu nodaļas ir viens vienīgs apledojums, vecie cilvēki krīt.", "roads_pavements"),
        ("Krustojumā nokritusi ceļa zīme, autovadītāji neredz, kam jādod ceļš.", "roads_pavements"),
        ("Vētrā nolūzis koks guļ pāri celiņam parkā, nevar ne paiet garām.", "trees_green_areas"),
        ("Zari pār ielu aizsedz skatu, lūdzu tos apgriezt.", "trees_green_areas"),
        ("Jau divas nedēļas nav izvesti atkritumi, konteineri pārpildīti, smird.", "waste_collection"),
        ("Mežmalā kāds izveidojis nelegālu izgāztuvi, tur izmestas riepas un būvgruži.", "waste_collection"),
        ("Pagalmā jau pusgadu stāv pamests auto bez numuriem, lūdzu aizvākt.", "abandoned_vehicles"),
        ("Ielā plīsusi ūdensvada caurule, ūdens plūst pa visu ielu!", "water_sewage"),
        ("Mūsu mājai ir kanalizācijas aizsērējums, pagrabā stāv notekūdeņi.", "water_sewage"),
        ("Rotaļu laukumā salauztas šūpoles, bērni var savainoties.", "playgrounds"),
        ("Pie veikala jau nedēļu klaiņo agresīvs suns, bērni baidās iet uz skolu.", "stray_animals"),
        ("Kaimiņi katru nakti trokšņo, skaļa mūzika līdz rītam.", "public_order_noise"),
        ("Vēlos saņemt atbildi uz jautājumu par pašvaldības budžetu, lūdzu sniegt informāciju.", "information_request"),
    ],
)
def test_hazard_and_fault_reports_find_the_service_that_fixes_them(text: str, service_id: str) -> None:
    assert load_catalogue().identify(text).id == service_id


@pytest.mark.parametrize("text", ["man vajag atļauju", "gribu pieteikties uz kaut ko", "lidmašīnas noma"])
def test_is_unsure_rather_than_wrong(text: str) -> None:
    assert load_catalogue().identify(text) is None


def test_ambiguous_text_offers_candidates() -> None:
    candidates = [s.id for s, _ in load_catalogue().search("man vajag atļauju")]
    assert "parking_permit" in candidates and "tree_cutting_permit" in candidates


def _service(service_id: str, *phrases: str) -> Service:
    return Service(service_id, phrases[0], phrases[1:], 1, "Nodaļa")


RULES = Catalogue(
    [
        _service("a", "ceļa remonts", "bedre"),
        _service("b", "izziņa par bedri uz ceļa", "skola"),
        _service("c", "skolas autobuss", "pietura", "autobusu saraksts"),
    ],
    "Pašvaldība",
)


def test_rules_the_longest_whole_phrase_wins_also_when_its_words_are_apart() -> None:
    assert RULES.identify("bedre").id == "a"
    assert RULES.identify("Vajag izziņu, ka uz ceļa bija bedre").id == "b"


def test_rules_equal_phrases_of_two_services_are_unsure_but_both_are_offered() -> None:
    assert RULES.identify("bedre pie skolas") is None
    assert [s.id for s, _ in RULES.search("bedre pie skolas")][:2] == ["a", "b"]


def test_rules_then_the_service_whose_phrases_cover_more_words_wins() -> None:
    assert RULES.identify("skolas autobuss, pietura un autobusu saraksts, bedre ceļa remonts").id == "c"


@pytest.mark.parametrize(
    "typed",
    [
        "stāvviotas atļauja",  # wrong
        "stāvietas atļauja",  # missing
        "stāvvieitas atļauja",  # extra
        "stāvveitas atļauja",  # swapped
        "stavvietas atlauaj",  # swapped, without diacritics
    ],
)
def test_forgives_one_slipped_letter_in_a_longer_word(typed: str) -> None:
    assert load_catalogue().identify(typed).id == "parking_permit"


def test_a_phrase_found_only_through_slips_is_offered_but_not_decided() -> None:
    catalogue = load_catalogue()
    assert catalogue.identify("bērnudārs") is None
    assert catalogue.search("bērnudārs")[0][0].id == "kindergarten_queue"
    assert catalogue.identify("Sveiki, man vajag palīdzību") is None  # “sveiki” is not “svētki”


def test_short_words_need_no_slip() -> None:
    assert load_catalogue().identify("skoal") is None


@pytest.mark.parametrize(
    "a, b, slip",
    [
        ("stavviet", "stavviett", True),
        ("stavviet", "stvviet", True),
        ("stavviet", "stavvjet", True),
        ("stavviet", "tsavviet", True),
        ("stavviet", "stavviet", False),
        ("stavviet", "stavvi", False),
        ("stavviet", "tavvietx", False),
        ("stavviet", "sattvviet", False),
    ],
)
def test_one_slip(a: str, b: str, slip: bool) -> None:
    assert one_slip(a, b) is slip and one_slip(b, a) is slip


def test_generated_catalogue_of_500_services_finds_what_the_real_one_finds() -> None:
    generated = generated_catalogue()
    real = load_catalogue()
    assert len(generated.services) == GENERATED_SIZE
    assert len({s.id for s in generated.services}) == GENERATED_SIZE
    assert misidentified_phrases(generated, spellings=[str]) == []
    for message in MESSAGES:
        assert generated.identify(message) == real.identify(message), message
        assert real.identify(message) is not None, message


def test_fold_and_stem() -> None:
    assert fold("Sūdzība ŽĒL") == "sudziba zel"
    assert stems("sūdzību sudzibas Sūdzība") == ["sudzib", "sudzib", "sudzib"]
