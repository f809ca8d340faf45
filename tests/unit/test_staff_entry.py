"""What staff enter for citizens who came, phoned or wrote: the command, the channels, the checks."""
from __future__ import annotations

from bot.register import Register
from bot.staff.commands import parse
from bot.staff.entry import Entry, channel_named, enter, receipt
from knowledge_base.catalogue import load_catalogue


def test_jauns_pieteikums_is_the_new_entry_command_and_lists_still_are_lists() -> None:
    assert parse("jauns pieteikums").action == "new" and parse("Reģistrēt jaunu pieteikumu").action == "new"
    assert parse("jaunie pieteikumi šonedēļ").action == "list"


def test_channels_are_read_as_staff_type_them() -> None:
    assert [channel_named(t) for t in ("Klātienē", "pa tālruni", "Pasts", "E-pasts", "vēstule", "kaut kas")] == [
        "in_person", "phone", "post", "email", "post", None]


def test_an_entry_is_checked_and_stored_with_its_channel_and_staff_member(register: Register) -> None:
    catalogue = load_catalogue()
    good = Entry(channel="post", kind="service_request", text="Lūdzu nozāģēt sauso koku pie skolas",
                 kind_suggested="complaint", service_id="trees_green_areas", consent=True, contact="anna@example.lv",
                 address="Skolas iela 1")
    assert good.problem(catalogue) is None
    assert "piekrišan" in Entry("post", "complaint", "Teksts", contact="anna@example.lv").problem(catalogue)
    assert "kanālu" in Entry("fax", "complaint", "Teksts").problem(catalogue)
    assert "kontakts" in Entry("post", "complaint", "Teksts", consent=True, contact="nav").problem(catalogue).lower()
    registration, code = enter(register, "Ilze Ozola (@ilze)", good)
    assert (registration.channel, registration.kind, registration.kind_predicted) == ("post", "service_request", "complaint")
    assert (registration.contact, registration.address, registration.service_id) == (
        "anna@example.lv", "Skolas iela 1", "trees_green_areas")
    assert register.history(registration.reference)[0]["changed_by"] == "Ilze Ozola (@ilze)"
    assert register.access_code_matches(registration, code) and code in receipt(registration, code)
