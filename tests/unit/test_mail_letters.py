"""Reading letters: own words only, charsets, HTML, machines' letters, broken MIME, the IMAP_URL check,
and the register's record that lets a letter be handled once."""
from __future__ import annotations

from email.message import EmailMessage

from bot.mail.classify import verdict
from bot.mail.letters import parse_letter
from bot.mail.text import html_to_text, own_words
from bot.register import Register
from bot.settings import imap_problem


def raw_letter(body: bytes, content_type: str = "text/plain; charset=utf-8", **headers: str) -> bytes:
    head = {"From": "Anna <anna@iedzivotajs.lv>", "Subject": "Atkritumi", "Message-ID": "<1@iedzivotajs.lv>",
            "Content-Type": content_type, **{k.replace("_", "-"): v for k, v in headers.items()}}
    return "".join(f"{name}: {value}\r\n" for name, value in head.items()).encode() + b"\r\n" + body


def test_quoted_mail_and_signature_are_dropped() -> None:
    text = ("Labdien!\nKonteineri joprojām pilni.\n\n-- \nAnna Ozola\n")
    assert own_words(text) == "Labdien!\nKonteineri joprojām pilni."
    latvian = "Paldies, gaidīšu.\n\n2026. gada 1. dec., plkst. 10:00 Palīgs <p@iestade.lv>\nrakstīja:\n> Numurs: S-2026-000001"
    assert own_words(latvian) == "Paldies, gaidīšu."
    english = "Thanks.\nOn Mon, 1 Dec 2026 at 10:00, Paligs <p@iestade.lv> wrote:\n> old text"
    assert own_words(english) == "Thanks."
    outlook = "Lūdzu steidzami.\n\nFrom: Palīgs\nSent: Monday\nTo: anna\nSubject: x\n\nold"
    assert own_words(outlook) == "Lūdzu steidzami."
    inline = "Mana atbilde\n> citēts\n> vēl\nun turpinājums"
    assert own_words(inline) == "Mana atbilde\nun turpinājums"


def test_html_becomes_text_without_quotes_styles_or_tags() -> None:
    html = ("<html><head><style>p {color: red}</style></head><body><p>Sveiki,</p><p>ierosinu&nbsp;<b>soliņus</b>"
            "<br>parkā.</p><ul><li>viens</li></ul><blockquote>vecā vēstule</blockquote></body></html>")
    assert html_to_text(html) == "Sveiki,\n\nierosinu soliņus\nparkā.\n\n• viens"


def test_windows_1257_and_iso_8859_13_letters_are_decoded() -> None:
    text = "Mūsu ielā nav izvesti atkritumi, esmu sašutusi."
    for charset, codec in (("windows-1257", "cp1257"), ("ISO-8859-13", "iso8859-13")):
        letter = parse_letter(raw_letter(text.encode(codec), f"text/plain; charset={charset}",
                                         Subject="=?windows-1257?Q?S=FBdz=EEba?="))
        assert letter.text == text and letter.subject == "Sūdzība" and letter.sender == "anna@iedzivotajs.lv"


def test_undeclared_charset_falls_back_to_utf8_then_windows_1257() -> None:
    assert parse_letter(raw_letter("Ceļš".encode("cp1257"), "text/plain")).text == "Ceļš"
    assert parse_letter(raw_letter("Ceļš".encode(), "text/plain; charset=x-nezinams")).text == "Ceļš"


def test_personal_codes_are_masked_in_text_subject_and_file_names() -> None:
    message = EmailMessage()
    message["From"], message["Subject"] = "anna@iedzivotajs.lv", "Iesniegums 010203-12345"
    message.set_content("Mans personas kods ir 010203-12345.")
    message.add_attachment(b"x", maintype="application", subtype="pdf", filename="010203-12345.pdf")
    letter = parse_letter(message.as_bytes())
    assert "010203" not in letter.text + letter.subject + letter.attachments[0].filename


def test_letters_written_by_machines_are_recognised() -> None:
    assert parse_letter(raw_letter(b"x", Auto_Submitted="auto-replied")).automatic
    assert parse_letter(raw_letter(b"x", Auto_Submitted="no")).automatic is None
    assert parse_letter(raw_letter(b"x", From="MAILER-DAEMON@example.lv")).automatic
    assert parse_letter(raw_letter(b"x", From="postmaster@example.lv")).automatic
    for precedence in ("bulk", "junk", "list"):
        assert parse_letter(raw_letter(b"x", Precedence=precedence)).automatic
    assert parse_letter(raw_letter(b"Labdien")).automatic is None


def test_replies_name_the_message_ids_they_answer() -> None:
    letter = parse_letter(raw_letter(b"x", In_Reply_To="<a@paligs>", References="<z@x> <a@paligs>",
                                     Subject="Re: Atb: Jūsu pieteikums S-2026-000001"))
    assert letter.replied_to == ("<a@paligs>", "<z@x>", "<a@paligs>")
    assert letter.topic == "Jūsu pieteikums S-2026-000001"


def test_a_broken_letter_still_gives_its_text_and_says_it_is_broken() -> None:
    raw = (b"From: a@b.lv\r\nContent-Type: multipart/mixed; boundary=\"nav\"\r\n\r\n--cits\r\n"
           b"Content-Type: text/plain\r\n\r\nIelas lampa nedeg.\r\n")
    letter = parse_letter(raw)
    assert letter.defects and "Ielas lampa nedeg." in letter.text
    assert parse_letter(b"\xff\xfe garbage without headers").raw_digest


def test_unsure_or_unregistrable_parses_are_registered_as_the_likeliest_kind_marked_unsure() -> None:
    sure = {"route": {"action": "register", "intent": "suggestion", "kind": "suggestion"}}
    assert verdict(sure, "x").kind == "suggestion" and not verdict(sure, "x").unsure
    unsure = {"route": {"action": "register", "intent": "complaint", "kind": None},
              "intent_ranking": [{"name": "faq"}, {"name": "service_request"}, {"name": "complaint"}]}
    assert (verdict(unsure, "x").kind, verdict(unsure, "x").unsure) == ("service_request", True)
    question = {"route": {"action": "register", "intent": "ask_institution", "kind": "information_request"}}
    assert (verdict(question, "x").kind, verdict(question, "x").service_id) == ("service_request", "information_request")
    assert verdict({"route": {"action": "not_understood", "intent": "nlu_fallback"}}, "x").unsure


def test_imap_url_plain_only_to_loopback() -> None:
    assert imap_problem("imaps://pasts:p@mail.example.lv:993/INBOX") is None
    assert imap_problem("imap://pasts:p@127.0.0.1:1143/INBOX") is None
    assert "unencrypted" in (imap_problem("imap://pasts:p@mail.example.lv/INBOX") or "")
    assert imap_problem("https://mail.example.lv") and imap_problem("imaps://mail.example.lv")


def test_a_letter_is_claimed_by_one_worker_and_handled_once(register: Register) -> None:
    mail = register.mail
    key = mail.message_id_hash("<1@iedzivotajs.lv>")
    assert mail.claim(key, "anna@iedzivotajs.lv", "worker-a", 60).state == "mine"
    assert mail.claim(key, "anna@iedzivotajs.lv", "worker-b", 60).state == "busy"
    assert mail.registered_within_hour("ANNA@iedzivotajs.lv") == 1
    mail.finish(key, "worker-a", "registered")
    assert mail.claim(key, "anna@iedzivotajs.lv", "worker-b", 60).outcome == "registered"
    expired = mail.message_id_hash("<2@iedzivotajs.lv>")
    assert mail.claim(expired, "anna@iedzivotajs.lv", "killed-worker", -1).state == "mine"
    assert mail.claim(expired, "anna@iedzivotajs.lv", "worker-b", 60).state == "mine"  # the lease ran out


def test_a_reply_finds_its_registration_by_the_message_id_we_sent(register: Register) -> None:
    registration, _ = register.create(kind="complaint", kind_predicted="complaint", text="Atkritumi nav izvesti",
                                      channel="e-pasts", sender_id="anna@iedzivotajs.lv", subject="Atkritumi")
    register.mail.remember_sent(registration.reference, "<answer-1@iestade.lv>")
    assert register.mail.reference_replied_to(["<other@x>", "answer-1@iestade.lv"]) == registration.reference
    assert register.mail.reference_replied_to(["<unknown@x>"]) is None
    assert register.add_applicant_message(registration.reference, "Vēl piebilde 010203-12345", "e-pasts", source_key="k1")
    assert not register.add_applicant_message(registration.reference, "Vēl piebilde", "e-pasts", source_key="k1")
    [message] = register.applicant_messages(registration.reference)
    assert message["text"] == "Vēl piebilde [personas kods]"
    assert register.find(registration.reference).status == "registered"
