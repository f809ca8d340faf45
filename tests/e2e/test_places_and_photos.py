"""At the desk, on the phone, on the street: staff enter registrations that arrive in person, and
citizens send the place and a photo (Telegram through the fake Bot API, the widget in Chromium)."""
from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Iterator

import pytest
import requests
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from bot.register import api_keys
from bot.register.media import BAD_PLACE, NOT_AN_IMAGE
from tests.e2e.conftest import REFERENCE, Stack
from tests.e2e.fake_telegram import FakeBotApi
from tests.e2e.test_staff import staff_cli, texts
from tests.e2e.test_telegram import TelegramUser, _update_ids, message, wait_until
from tests.e2e.test_web_widget import AXE, browser, open_chat, start_portal  # noqa: F401 (browser: a fixture)
from tests.unit.test_media import photo_with_gps

STAFF_TELEGRAM_ID, STAFF_LOGIN, STAFF_PASSWORD = 515151, "janis", "cita-pareiza-parole-2026"
STREET_LIGHT = "Nedeg ielas laterna pie Ozolu ielas 7, naktī pilnīgi tumšs"


@pytest.fixture(scope="module")
def staff_name(stack: Stack) -> str:
    """Jānis Kalniņš, on Telegram and on the staff page."""
    assert staff_cli(stack, "add", "--name", "Jānis Kalniņš", "--telegram", str(STAFF_TELEGRAM_ID)).returncode == 0
    added = staff_cli(stack, "add", "--name", "Jānis Kalniņš", "--login", STAFF_LOGIN, "--password-stdin",
                      stdin=STAFF_PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    return "Jānis Kalniņš"


@pytest.fixture()
def staff(stack: Stack, telegram_api: FakeBotApi, staff_name: str) -> TelegramUser:
    user = TelegramUser(stack, telegram_api)
    user.id = STAFF_TELEGRAM_ID
    return user


def location(user: TelegramUser, latitude: float, longitude: float) -> list[dict]:
    return user.send({"update_id": next(_update_ids),
                      "message": message(user.id, location={"latitude": latitude, "longitude": longitude})})


def photo(user: TelegramUser, api: FakeBotApi, content: bytes, caption: str = "") -> list[dict]:
    file_id = f"photo-{next(_update_ids)}"
    api.add_file(file_id, content)
    sizes = [{"file_id": file_id, "file_unique_id": file_id, "width": 640, "height": 480, "file_size": len(content)}]
    extra = {"caption": caption} if caption else {}
    return user.send({"update_id": next(_update_ids), "message": message(user.id, photo=sizes, **extra)})


def document(user: TelegramUser, api: FakeBotApi, content: bytes | None, size: int, name: str = "foto.jpg") -> list[dict]:
    file_id = f"doc-{next(_update_ids)}"
    if content is not None:
        api.add_file(file_id, content)
    doc = {"file_id": file_id, "file_unique_id": file_id, "file_name": name, "mime_type": "image/jpeg", "file_size": size}
    return user.send({"update_id": next(_update_ids), "message": message(user.id, document=doc)})


def plain_photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 120, 40)).save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture(scope="module")
def street_light(stack: Stack, telegram_api: FakeBotApi) -> tuple[TelegramUser, str]:
    """A citizen registers a street-light request on Telegram, sending a location and a photo during it."""
    citizen = TelegramUser(stack, telegram_api)
    question = citizen.say(STREET_LIGHT)[-1]
    asked = citizen.press(question, "akalpojuma pieprasījums")
    assert "nosūtiet atrašanās vietu vai uzrakstiet adresi" in texts(asked), texts(asked)
    after_location = location(citizen, 56.9496, 24.1052)
    assert "atrašanās vietu saņēmu" in texts(after_location) and "e-pastu vai tālruni" in texts(after_location)
    after_photo = photo(citizen, telegram_api, photo_with_gps(57.1, 24.3))
    assert "foto saņēmu" in texts(after_photo) and "e-pastu vai tālruni" in texts(after_photo)
    done = citizen.press(after_photo[-1], "Nē")
    assert "Pievienots: atrašanās vieta, 1 foto" in texts(done), texts(done)
    return citizen, REFERENCE.search(texts(done)).group(0)


def test_a_street_light_request_with_location_and_photo_shows_both_on_the_staff_card(
    stack: Stack, telegram_api: FakeBotApi, street_light: tuple[TelegramUser, str], staff: TelegramUser
) -> None:
    _, reference = street_light
    stored = stack.register.find(reference)
    assert stored.service_id == "street_lighting" and stored.channel == "telegram"
    assert (stored.latitude, stored.longitude) == (56.9496, 24.1052), "the location sent wins over the photo's EXIF"
    photos = stack.register.media_of(reference)
    assert len(photos) == 1 and photos[0]["content_type"] == "image/jpeg" and photos[0]["source"] == "telegram"
    assert any(d.startswith("photos/") for d in telegram_api.downloads), "downloaded from /file/bot<token>/<path>"

    sent_photos = len([p for p in telegram_api.called("sendPhoto") if int(p["chat_id"]) == STAFF_TELEGRAM_ID])
    opened = texts(staff.say(reference))
    assert "Vieta: 56.949600, 24.105200" in opened and "openstreetmap.org/?mlat=56.949600&mlon=24.105200" in opened
    assert "Foto: 1" in opened
    wait_until(lambda: len([p for p in telegram_api.called("sendPhoto")
                            if int(p["chat_id"]) == STAFF_TELEGRAM_ID]) == sent_photos + 1)
    shown = [p for p in telegram_api.called("sendPhoto") if int(p["chat_id"]) == STAFF_TELEGRAM_ID][-1]["photo"]
    stored_file = Path(stack.env["PALIGS_DATA_DIR"]) / "media" / photos[0]["sha256"][:2] / f"{photos[0]['sha256']}.jpg"
    assert shown == stored_file.read_bytes()
    assert b"Exif" not in shown and not Image.open(io.BytesIO(shown)).getexif(), "stored and shown without its EXIF"


def test_open311_shows_the_place_and_the_photo_sent_in_chat(
    stack: Stack, street_light: tuple[TelegramUser, str]
) -> None:
    """An Open311 app reads the pin's coordinates; a read-all key also gets the photo, as a signed portal URL."""
    _, reference = street_light
    key = api_keys.create(stack.register.engine, f"Karte {reference}", read_all=True)
    process, url = start_portal(stack, stack.rasa_port)
    try:
        base = url.rstrip("/") + "/open311/v2"
        public = requests.get(f"{base}/requests/{reference}.json", timeout=30).json()[0]
        assert (public["lat"], public["long"]) == (56.9496, 24.1052) and public["media_url"] is None
        read = requests.get(f"{base}/requests/{reference}.json", params={"api_key": key}, timeout=30).json()[0]
        picture = requests.get(read["media_url"], timeout=30)
        assert picture.status_code == 200 and picture.headers["Content-Type"] == "image/jpeg"
        assert Image.open(io.BytesIO(picture.content)).format == "JPEG"
        forged = re.sub(r"s=[^&]+", "s=forged", read["media_url"])
        assert requests.get(forged, timeout=30).status_code == 403
    finally:
        process.terminate()


def test_a_photo_right_after_a_registration_is_attached_to_it(
    stack: Stack, telegram_api: FakeBotApi, street_light: tuple[TelegramUser, str]
) -> None:
    citizen, reference = street_light
    answer = texts(photo(citizen, telegram_api, plain_photo()))
    assert f"Foto pievienots pieteikumam {reference}" in answer
    assert len(stack.register.media_of(reference)) == 2


@pytest.mark.parametrize("what", ["30 MB file", "text file named .jpg", "impossible location"])
def test_refused_files_and_places_get_a_clear_answer_and_change_nothing(
    stack: Stack, telegram_api: FakeBotApi, street_light: tuple[TelegramUser, str], what: str
) -> None:
    citizen, reference = street_light
    before = (stack.register.find(reference), stack.register.media_of(reference), stack.register.count())
    downloads = len(telegram_api.downloads)
    if what == "30 MB file":
        answer = texts(document(citizen, telegram_api, None, 30 * 1024 * 1024))
        assert "Fails ir pārāk liels (30,0 MB)" in answer and "10,0 MB" in answer
        assert len(telegram_api.downloads) == downloads, "not even downloaded"
    elif what == "text file named .jpg":
        content = "Labdien! Šis ir teksts, nevis foto.\n".encode() * 20
        answer = texts(document(citizen, telegram_api, content, len(content)))
        assert answer == NOT_AN_IMAGE
    else:
        answer = texts(location(citizen, 123.0, 24.1))
        assert answer == BAD_PLACE
    assert (stack.register.find(reference), stack.register.media_of(reference), stack.register.count()) == before


def test_a_location_sent_alone_is_asked_about_and_kept_for_the_registration(
    stack: Stack, telegram_api: FakeBotApi
) -> None:
    citizen = TelegramUser(stack, telegram_api)
    asked = texts(location(citizen, 56.95, 24.11))
    assert "Par ko tas ir?" in asked
    question = citizen.say("Uz Liepu ielas ietves ir dziļa bedre, var salauzt kāju")[-1]
    reply = citizen.press(question, "akalpojuma pieprasījums")
    if "Kuru pakalpojumu" in texts(reply):
        reply = citizen.press(reply[-1], "")
    assert "e-pastu vai tālruni" in texts(reply) and "nosūtiet atrašanās vietu" not in texts(reply), "asked once only"
    done = texts(citizen.press(reply[-1], "Nē"))
    stored = stack.register.find(REFERENCE.search(done).group(0))
    assert (stored.latitude, stored.longitude) == (56.95, 24.11)


def test_staff_enter_a_phoned_complaint_on_telegram(stack: Stack, staff: TelegramUser, staff_name: str) -> None:
    asked = staff.say("jauns pieteikums")
    assert "Kā tas saņemts?" in texts(asked)
    described = staff.press(asked[-1], "Tālrunis")
    assert "aprakstu" in texts(described)
    kind = staff.say("Iedzīvotāja zvanīja: jau otro nedēļu nav izvesti atkritumi no Liepu ielas 3, esmu ļoti neapmierināta")
    assert "Klasifikators iesaka: sūdzība" in texts(kind)
    consent = staff.press(kind[-1], "ieteikts")
    contact = staff.press(consent[-1], "Jā")
    assert "e-pastu vai tālruni" in texts(contact)
    address = staff.say("anna.berzina@example.lv")
    assert "Adrese" in texts(address)
    done = texts(staff.say("Liepu iela 3"))
    assert "Reģistrēts:" in done and "Piekļuves kods iedzīvotājam:" in done
    stored = stack.register.find(REFERENCE.search(done).group(0))
    assert (stored.kind, stored.channel, stored.contact, stored.address) == (
        "complaint", "phone", "anna.berzina@example.lv", "Liepu iela 3")
    assert staff_name in stack.register.history(stored.reference)[0]["changed_by"]


@pytest.fixture(scope="module")
def portal(stack: Stack, staff_name: str) -> Iterator[str]:
    process, url = start_portal(stack, stack.rasa_port)
    yield url
    process.terminate()


def test_a_staff_entry_sent_twice_is_registered_once(stack: Stack, portal: str) -> None:
    """A double click or a retry of the same form fill stores one registration with one access code."""
    token = requests.post(portal + "staff/login", json={"login": STAFF_LOGIN, "password": STAFF_PASSWORD},
                          timeout=30).json()["token"]
    entry = {"channel": "post", "kind": "suggestion", "text": "Vēstulē ierosina pie bibliotēkas ierīkot velonovietni",
             "consent": False, "submission": "form-fill-1"}
    auth = {"Authorization": f"Bearer {token}"}
    first = requests.post(portal + "staff/registrations", json=entry, headers=auth, timeout=30).json()
    again = requests.post(portal + "staff/registrations", json=entry, headers=auth, timeout=30).json()
    assert (again["reference"], again["access_code"]) == (first["reference"], first["access_code"])
    other = requests.post(portal + "staff/registrations", json={**entry, "submission": "form-fill-2"}, headers=auth,
                          timeout=30).json()
    assert other["reference"] != first["reference"], "another form fill is another registration"
    assert stack.register.find(first["reference"]).channel == "post"


@pytest.fixture()
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(bypass_csp=True, viewport={"width": 1024, "height": 900})  # axe is injected
    yield context.new_page()
    context.close()


def focus(page: Page, element_id: str, limit: int = 60) -> None:
    """Press Tab until the element with this id has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"could not reach #{element_id} with the keyboard")


def log_in(page: Page, portal: str) -> None:
    page.goto(portal + "staff")
    focus(page, "login-name")
    page.keyboard.type(STAFF_LOGIN)
    page.keyboard.press("Tab")
    page.keyboard.type(STAFF_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("#entry")).to_be_visible(timeout=15_000)


def test_staff_enter_an_in_person_complaint_on_the_staff_page_with_the_keyboard_only(
    stack: Stack, portal: str, page: Page, staff_name: str
) -> None:
    log_in(page, portal)
    page.wait_for_function("document.querySelectorAll('#entry-service option').length > 50")
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("async () => (await axe.run('#entry')).violations.map(v => v.id + ': ' + v.help)")
    assert violations == []

    focus(page, "entry-channel")
    assert page.eval_on_selector("#entry-channel", "el => el.value") == "in_person"
    page.keyboard.press("Tab")
    page.keyboard.type("Atnāca iedzīvotājs: kaimiņš katru nakti trokšņo, policija nereaģē, esmu ļoti neapmierināts")
    page.keyboard.press("Tab")  # the text is typed: the classifier's suggestion is pre-selected
    expect(page.locator("#entry-kind-hint")).to_contain_text("Klasifikators iesaka: sūdzība", timeout=30_000)
    assert page.eval_on_selector("#entry-kind", "el => el.value") == "complaint"
    focus(page, "entry-contact")
    page.keyboard.type("+371 20000000")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    assert page.eval_on_selector("#entry-consent", "el => el.checked")
    page.keyboard.press("Tab")
    page.keyboard.type("Ozolu iela 9")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Reģistrēt"
    page.keyboard.press("Enter")
    result = page.locator("#entry-result")
    expect(result).to_contain_text("Piekļuves kods iedzīvotājam:", timeout=30_000)
    expect(result).to_be_focused()
    reference = REFERENCE.search(result.inner_text()).group(0)
    stored = stack.register.find(reference)
    assert (stored.kind, stored.kind_predicted, stored.channel) == ("complaint", "complaint", "in_person")
    assert (stored.contact, stored.address) == ("+371 20000000", "Ozolu iela 9")
    assert staff_name in stack.register.history(reference)[0]["changed_by"]
    violations = page.evaluate("async () => (await axe.run('#entry')).violations.map(v => v.id + ': ' + v.help)")
    assert violations == []


def test_a_widget_photo_with_gps_registers_the_place_and_staff_see_the_photo(
    stack: Stack, portal: str, browser: Browser, tmp_path: Path
) -> None:
    picture = tmp_path / "laterna.jpg"
    picture.write_bytes(photo_with_gps(56.97, 24.15))
    citizen = browser.new_context(bypass_csp=True, viewport={"width": 1024, "height": 768}).new_page()
    open_chat(citizen, portal)
    citizen.wait_for_function("document.querySelector('.paligs-send') && !document.querySelector('.paligs-send').disabled")
    citizen.wait_for_function("!!sessionStorage.getItem('paligs.session')")
    focus(citizen, "paligs-photo")
    assert citizen.locator("label[for=paligs-photo]").inner_text() == "Pievienot foto"
    with citizen.expect_file_chooser() as chooser:
        citizen.keyboard.press("Space")
    chooser.value.set_files(str(picture))
    bot = citizen.locator(".paligs-bot .paligs-text")
    expect(bot.filter(has_text="Par ko tas ir?")).to_have_count(1, timeout=60_000)
    expect(citizen.locator(".paligs-user .paligs-text").last).to_contain_text(re.compile(r"laterna\.jpg \(\d+ KB\)"))
    citizen.locator("#paligs-input").focus()
    citizen.keyboard.type(STREET_LIGHT)
    citizen.keyboard.press("Enter")
    expect(citizen.locator(".paligs-choice").last).to_be_visible(timeout=60_000)
    citizen.locator(".paligs-choice", has_text="akalpojuma pieprasījums").last.click()
    expect(bot.last).to_contain_text("e-pastu vai tālruni", timeout=60_000)
    citizen.locator(".paligs-choice", has_text="Nē, bez kontaktiem").last.click()
    done = bot.filter(has_text="Numurs:")
    expect(done).to_have_count(1, timeout=60_000)
    assert "Pievienots: atrašanās vieta, 1 foto" in done.inner_text()
    reference = REFERENCE.search(done.inner_text()).group(0)
    stored = stack.register.find(reference)
    assert (stored.latitude, stored.longitude) == (56.97, 24.15) and len(stack.register.media_of(reference)) == 1

    staff_page = browser.new_context(viewport={"width": 1024, "height": 900}).new_page()
    log_in(staff_page, portal)
    staff_page.get_by_label("Komanda vai jautājums").fill(reference)
    staff_page.keyboard.press("Enter")
    image = staff_page.locator("#log img.photo")
    expect(image).to_have_count(1, timeout=30_000)
    staff_page.wait_for_function("document.querySelector('#log img.photo').naturalWidth > 0")
    expect(staff_page.locator("#log")).to_contain_text("Vieta: 56.970000, 24.150000")
    source = image.get_attribute("src")
    assert staff_page.request.get(portal.rstrip("/") + source).status == 200
    assert staff_page.request.get(portal.rstrip("/") + source.replace("&s=", "&s=x")).status == 403
