"""How fast the catalogue finds a service in long messages: `python -m bot.ops.catalogue_bench`.

Times `identify()` and `search()` on the real catalogue and on a generated 500-service one
(the real services plus, for each parish of the county, copies of them with six synonyms
naming the parish), over long citizen messages (3–10 sentences), and prints a Markdown table.
`--profile` prints where the time goes (cProfile) instead.
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import statistics
import time
from typing import Callable

from knowledge_base.catalogue import Catalogue, Service, load_catalogue
from nlu.latvian_text import fold

GENERATED_SIZE = 500
GENERATED_SYNONYMS = 6
LOOKUPS = 2000
SEED = 2026
# Parishes of the demo county: genitive (in the name) and locative (in the synonyms).
PARISHES = (
    ("Kalnciema", "Kalnciemā"),
    ("Lejasciema", "Lejasciemā"),
    ("Mežvidu", "Mežvidos"),
    ("Ozolkalna", "Ozolkalnā"),
    ("Vecpriedaines", "Vecpriedainē"),
    ("Jūrmalciema", "Jūrmalciemā"),
    ("Silmalas", "Silmalā"),
)
# Written in the style of residents' letters to a municipality: greeting, context, the
# problem, a question or a plea; some without diacritics, some with typos.
MESSAGES = (
    "Labdien! Jau otro nedēļu mūsu ielā pie 12. mājas nedeg laterna. Vakaros ir pilnīgi tumšs, "
    "un bērni no skolas nāk mājās pa neapgaismotu ietvi. Vai tiešām neviens to nav pamanījis? "
    "Lūdzu, salabojiet pēc iespējas ātrāk.",
    "Sveiki! Krustojumā pie veikala ir atvērta kanalizācijas lūka, vāka nav jau trīs dienas. "
    "Tur var iekrist gan bērns, gan gājējs, īpaši tumsā. Lūdzu, steidzami uzlieciet vāku vai "
    "vismaz nožogojiet šo vietu.",
    "Labdien, vakar vētrā pie Priežu ielas 5 nolūza liels koks un tagad guļ pāri ietvei. "
    "Gājējiem jāiet pa brauktuvi, kas ir bīstami. Turklāt daži zari karājas pāri elektrības "
    "vadiem. Lūdzu, novāciet koku, kamēr kāds nav cietis.",
    "Jau trešo nedēļu nav izvesti atkritumi no konteineriem mūsu daudzdzīvokļu mājas pagalmā. "
    "Konteineri ir pārpildīti, apkārt mētājas maisi, un parādījušās žurkas. Maksājam par "
    "izvešanu regulāri, bet pakalpojuma nav. Kad beidzot kāds to sakārtos?",
    "Labvakar! Mūsu ielas galā jau kādu mēnesi stāv pamesta automašīna bez numurzīmēm. Tai ir "
    "nolaistas riepas, un tā aizņem divas stāvvietas. Kaimiņi saka, ka tā stāv tur jau kopš "
    "pavasara. Lūdzu, noskaidrojiet, kam tā pieder, un aizvāciet to.",
    "Sveiki, Ezera ielā plīsusi ūdensvada caurule, ūdens tek pa ielu jau no rīta. Iela applūst, "
    "un naktī te būs ledus. Mājās ūdens spiediens ir ļoti vājš. Lūdzu, sūtiet avārijas brigādi!",
    "Labdien! Rotaļu laukumā pie skolas ir salauztas šūpoles, viena ķēde ir pārrauta, un "
    "sēdeklis karājas. Bērni tur spēlējas katru dienu, un kāds var savainoties. Lūdzu, vai "
    "varat tās salabot vai vismaz noņemt?",
    "Kaimiņu dzīvoklī katru nakti skan skaļa mūzika līdz pat trijiem no rīta. Esam vairākkārt "
    "lūguši samazināt troksni, bet nekas nemainās. Bērni nevar izgulēties, un man no rīta "
    "jāiet uz darbu. Ko pašvaldība var darīt?",
    "Pie mūsu mājas jau vairākas dienas klīst klaiņojošs suns bez kaklasiksnas. Tas rej uz "
    "garāmgājējiem un vakar gandrīz iekoda bērnam. Vecāki baidās laist bērnus ārā. Lūdzu, "
    "noķeriet to un aizvediet uz patversmi.",
    "Labdien! Gribētu pieteikt savu dēlu pirmajā klasē Priedaines vidusskolā no nākamā "
    "septembra. Viņam būs septiņi gadi. Kādi dokumenti ir vajadzīgi, un līdz kuram datumam "
    "jāpiesakās? Paldies!",
    "Sveiki! Vēlos saņemt izziņu par deklarēto dzīvesvietu, jo banka to prasa kredīta "
    "noformēšanai. Vai to var izdarīt elektroniski, vai jānāk uz klientu centru? Mana "
    "dzīvesvieta ir deklarēta šajā adresē jau desmit gadus.",
    "nedeg ielas apgaismojums jau nedelu, pie veikala ir pilnigi tumss. vakar gandriz pakritu, "
    "jo bedre uz ietves nav redzama. lugums salabot, kamer kads nav salauzis kaju",
    "Labdien! Gribu nozāģēt divus vecus kokus savā privātmājas pagalmā, jo tie noēno māju un "
    "zari krīt uz jumta. Vai man vajadzīga atļauja, un cik ilgi jāgaida? Bērzi ir apmēram "
    "20 metrus augsti.",
    "Sveiki, esmu pensionāre, dzīvoju viena. Ziemā apkures rēķini ir tik lieli, ka pēc to "
    "samaksas man gandrīz nepaliek naudas pārtikai. Dzirdēju, ka pašvaldība var palīdzēt ar "
    "dzīvokļa pabalstu. Kā to pieteikt, un kādi dokumenti jāiesniedz?",
    "Labdien! Mūsu daudzdzīvokļu mājā jau otro dienu nav apkures un arī siltā ūdens. Radiatori "
    "ir pilnīgi auksti, bet ārā ir mīnus piecpadsmit. Mājā dzīvo vairāki mazi bērni un veci "
    "cilvēki. Lūdzu, steidzami noskaidrojiet, kas noticis!",
    "Sveiki! Vai varētu uzlikt soliņu un atkritumu urnu pie autobusa pieturas Meža ielā? "
    "Cilvēki tur gaida autobusu pat pusstundu, un vecākiem cilvēkiem nav kur apsēsties. "
    "Pašlaik atkritumi tiek mesti zemē.",
    "Labdien! Vēlos uzzināt, kad tiks remontēta Dzirnavu iela, jo tā ir bedrēm pilna jau "
    "vairākus gadus. Vai remonts ir iekļauts šī gada budžetā? Lūdzu atbildēt rakstiski.",
    "Sveiki, musu pagalma jau nedelu stav pamests auto ar izsistiem logiem. Berni tur spelejas "
    "un var sagriezties ar stiklu. Ludzu aizvaciet so vraku.",
    "Labdien, rakstu jau trešo reizi. Mūsu ielā ir tik dziļas bedres, ka automašīnām plīst "
    "riepas, bet ziemā neviens netīra sniegu un ietves ir apledojušas. Mana mamma ir 80 gadus "
    "veca, viņa nevar iziet no mājas. Vai pašvaldībai tiešām nerūp savi iedzīvotāji? Lūdzu, "
    "atbildiet, kad situācija tiks sakārtota, un kurš par to ir atbildīgs.",
    "Sveiki! Ierosinu mūsu ciematā ierīkot jaunu gājēju pāreju pie skolas, jo autovadītāji brauc "
    "ļoti ātri. Bērni katru rītu šķērso ceļu bez luksofora. Ja tas nav iespējams, varbūt "
    "vismaz ātrumvalni? Paldies par sapratni.",
)


def generated_catalogue(size: int = GENERATED_SIZE, synonyms: int = GENERATED_SYNONYMS) -> Catalogue:
    """The real catalogue grown to `size` services with parish variants; always the same."""
    real = load_catalogue()
    rng = random.Random(SEED)
    services = list(real.services)
    variants = [(service, parish) for parish in PARISHES for service in real.services]
    for service, (genitive, locative) in variants[: max(0, size - len(services))]:
        picked = rng.sample(service.phrases, min(synonyms, len(service.phrases)))
        services.append(
            Service(
                id=f"{service.id}_{fold(genitive)}",
                name=f"{service.name} ({genitive} pagasts)",
                synonyms=tuple(f"{phrase} {locative}" for phrase in picked),
                handling_days=service.handling_days,
                unit=f"{genitive} pagasta pārvalde",
            )
        )
    return Catalogue(services, real.institution)


def _time(lookup: Callable[[str], object], count: int) -> list[float]:
    """Milliseconds of each of `count` lookups, cycling through the messages."""
    times = []
    for i in range(count):
        start = time.perf_counter()
        lookup(MESSAGES[i % len(MESSAGES)])
        times.append((time.perf_counter() - start) * 1000)
    return times


def table(catalogues: dict[str, Catalogue], count: int = LOOKUPS) -> str:
    """A Markdown table of lookup times for each catalogue and lookup."""
    rows = [
        "| catalogue | services | lookup | lookups | mean ms | p95 ms | max ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, catalogue in catalogues.items():
        for method in ("identify", "search"):
            times = _time(getattr(catalogue, method), count)
            p95 = statistics.quantiles(times, n=20)[-1]
            rows.append(
                f"| {label} | {len(catalogue.services)} | `{method}` | {count} "
                f"| {statistics.fmean(times):.3f} | {p95:.3f} | {max(times):.3f} |"
            )
    return "\n".join(rows)


def profile(catalogue: Catalogue, count: int) -> None:
    """Print the functions that take the most time over `count` lookups of each kind."""
    profiler = cProfile.Profile()
    profiler.runcall(lambda: (_time(catalogue.identify, count), _time(catalogue.search, count)))
    pstats.Stats(profiler).sort_stats("tottime").print_stats(12)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lookups", type=int, default=LOOKUPS, help="lookups per catalogue and kind")
    parser.add_argument("--profile", action="store_true", help="profile the 500-service catalogue")
    args = parser.parse_args()
    generated = generated_catalogue()
    if args.profile:
        profile(generated, args.lookups)
        return
    print(table({"real": load_catalogue(), "generated": generated}, args.lookups))


if __name__ == "__main__":
    main()
