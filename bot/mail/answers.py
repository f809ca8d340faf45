"""What a resident is told by e-mail when their letter is read (Latvian)."""
from __future__ import annotations

from datetime import date
from typing import Optional

from bot.register import Registration
from bot.register.attachments import IncomingFile

FOLLOW_UP = ("Ja vēlaties ko piebilst, vienkārši atbildiet uz šo e-pastu – numurs {ref} temata rindā to sasaistīs "
             "ar pieteikumu. Statusu varat uzzināt arī Palīga tērzēšanā, uzrakstot “statuss {ref}” un piekļuves kodu.")
SIGNATURE = "Šī ir automātiska atbilde. Palīgs"


def registered(registration: Registration, access_code: str, due: date, service_name: Optional[str],
               files: tuple[IncomingFile, ...], too_large: list[str], damaged: bool) -> tuple[str, str]:
    """Subject and text of the answer to a registered letter."""
    ref = registration.reference
    lines = ["Labdien!", "", "Paldies par vēstuli. Tā ir reģistrēta iestādes pieteikumu reģistrā.", "",
             f"Numurs: {ref}", f"Veids: {registration.kind_name}"]
    if service_name:
        lines.append(f"Pakalpojums: {service_name}")
    lines += [f"Piekļuves kods: {access_code} (saglabājiet to kopā ar numuru)",
              f"Atbildi vai risinājumu sniegsim līdz {due:%d.%m.%Y}.", ""]
    if registration.kind_unsure:
        lines.append("Pieteikuma veidu vēl pārbaudīs darbinieks; ja tas mainīsies, mēs jums to pateiksim.")
    kept = [f.filename for f in files if f.filename not in too_large]
    if kept:
        lines.append("Pievienotie faili saglabāti: " + ", ".join(kept) + ".")
    for name in too_large:
        lines.append(f"Fails “{name}” ir pārāk liels, tāpēc netika saglabāts; lūdzu, atsūtiet to mazākā apjomā "
                     "vai iesniedziet klātienē, norādot pieteikuma numuru.")
    if damaged:
        lines.append("Vēstuli pilnībā nolasīt neizdevās; darbinieks to izskatīs tādu, kāda tā saņemta.")
    lines += [FOLLOW_UP.format(ref=ref), "", SIGNATURE]
    return f"Jūsu pieteikums {ref} ir reģistrēts", "\n".join(lines)


def added(reference: str) -> tuple[str, str]:
    """Subject and text of the answer to a reply that joined a registration."""
    text = "\n".join([
        "Labdien!", "",
        f"Paldies, jūsu vēstule pievienota pieteikumam {reference}; darbinieks to redzēs kopā ar pieteikumu. "
        "Kā jaunu pieteikumu mēs to nereģistrējām.",
        f"Statusu varat uzzināt Palīga tērzēšanā, uzrakstot “statuss {reference}” un piekļuves kodu.", "", SIGNATURE,
    ])
    return f"Vēstule pievienota pieteikumam {reference}", text


def held(cap: int) -> tuple[str, str]:
    """Subject and text of the one answer a sender over the hourly cap gets."""
    text = "\n".join([
        "Labdien!", "",
        f"Stundas laikā no vienas adreses automātiski reģistrējam ne vairāk kā {cap} vēstules, un jūsu šī "
        "stundas vēstules šo skaitu pārsniedz. Tās nav pazudušas: turpmākās vēstules izskatīs un reģistrēs darbinieks.",
        "", SIGNATURE,
    ])
    return "Jūsu vēstules saņemtas", text
