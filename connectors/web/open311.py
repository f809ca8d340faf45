"""Open311 GeoReport v2 on the register, served by the portal under ``/open311/v2/`` (docs/open311.md).

Every resource in XML and JSON, chosen by the path's extension (formatting: ``open311_format``;
queries: ``bot.register.open311``). Services are the catalogue's services plus ``complaint``,
``suggestion`` and ``service_request`` (a service not in the catalogue); each has one
attribute, the consent to be contacted. A request's ``service_request_id`` is the reference.

Reading needs no key and shows no free text: description, status notes, address and picture
are shown only to the key that posted the request, or to a key with the read-all right.
Posting needs a key and registers through the same ``Register.create`` as the chat.
"""
from __future__ import annotations

import asyncio
import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from typing import Callable, Optional
from zoneinfo import ZoneInfo

from aiohttp import web
from multidict import MultiDict, MultiDictProxy

from bot import settings
from bot.privacy import mask_personal_codes
from bot.register import KINDS, Place, Register, Registration, api_keys, parse_reference
from bot.register.api_keys import ApiClient
from bot.register.lifecycle import OPEN_STATUSES
from bot.register.media import MediaStore, open_configured_media
from bot.register.open311 import (
    OPEN311_CHANNEL,
    UNLISTED_SERVICE,
    RequestFilter,
    find_requests,
    find_updates,
    posted_by,
    reference_of_token,
    sender_id_of,
    submission_keys,
)
from bot.register.queries import deadline
from connectors.ingress import read_json
from connectors.web.open311_format import error, render
from knowledge_base.catalogue import CATALOGUE_FILE, Catalogue, load_catalogue

ROOT = "/open311"
PREFIX = f"{ROOT}/v2"
FMT = "{fmt:xml|json}"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
RIGA = ZoneInfo("Europe/Riga")
DEFAULT_DAYS = 90
MAX_PAGE_SIZE = 1000  # also the default: the spec's "first 1000 requests"
KIND_SERVICES = {
    "complaint": ("Sūdzība", "Sūdzība par iestādes darbu vai pakalpojumu."),
    "suggestion": ("Ierosinājums", "Ierosinājums iestādes darba vai pakalpojumu uzlabošanai."),
    UNLISTED_SERVICE: ("Cits pakalpojums", "Pakalpojuma pieprasījums, kura nav katalogā; pakalpojumu precizēs darbinieks."),
}
CONSENT = "contact_consent"
ATTRIBUTES = [{
    "variable": True, "code": CONSENT, "datatype": "singlevaluelist", "required": False,
    "datatype_description": None, "order": 1,
    "description": "Vai iestāde drīkst saglabāt jūsu vārdu, e-pastu un tālruni, lai sazinātos ar jums par šo "
                   "pieteikumu? Bez piekrišanas tos nesaglabājam.",
    "values": [{"key": "yes", "name": "Jā, drīkst"}, {"key": "no", "name": "Nē"}],
}]
# Longest accepted value of each posted field (description: the spec's 4000 characters).
MAX_CHARS = {
    "service_code": 64, "jurisdiction_id": 100, "lat": 40, "long": 40, "address_string": 500, "address_id": 100,
    "email": 254, "device_id": 100, "account_id": 100, "first_name": 100, "last_name": 100, "phone": 40,
    "description": 4000, "media_url": 2000, "api_key": api_keys.MAX_KEY_CHARS,
}
MAX_ATTRIBUTE_CHARS, MAX_IDEMPOTENCY_KEY_CHARS = 200, 200
_EMAIL = re.compile(r"[^@\s,;<>()\[\]\"]+@[^@\s,;<>()\[\]\"]+\.[^@\s,;<>()\[\]\".]+")
_PHONE = re.compile(r"\+?[0-9][0-9 ()./-]{2,39}")
_ATTRIBUTE = re.compile(r"attribute\[([^\]]*)\](\[\])?")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # all but tab and line breaks


class Open311Error(Exception):
    """An answer in the spec's error format: 400 bad value, 403 key, 404 unknown resource."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status, self.description = status, description


@dataclass(frozen=True)
class Call:
    """What a method needs of one HTTP request."""

    params: MultiDictProxy
    client: Optional[ApiClient]
    path: dict[str, str]
    base_url: str
    idempotency_key: Optional[str] = None


def iso(moment: datetime) -> str:
    """A W3C date-time in UTC (``…Z``); naive values (SQLite) are UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_datetime(name: str, value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(400, f"{name} jābūt datumam un laikam ISO 8601 formā, piemēram, 2026-01-31T00:00:00Z") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def _positive_int(params: MultiDictProxy, name: str, default: int, maximum: int) -> int:
    raw = params.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise Open311Error(400, f"{name} jābūt veselam skaitlim no 1 līdz {maximum}")
    return int(raw)


def _page(params: MultiDictProxy) -> tuple[int, int]:
    """(limit, offset) from ``page`` (from 1) and ``page_size`` (at most MAX_PAGE_SIZE)."""
    size = _positive_int(params, "page_size", MAX_PAGE_SIZE, MAX_PAGE_SIZE)
    page = _positive_int(params, "page", 1, 1_000_000)
    return size, (page - 1) * size


def _window(params: MultiDictProxy) -> tuple[datetime, Optional[datetime]]:
    """``start_date``/``end_date`` (the last 90 days when no start is given)."""
    end = parse_datetime("end_date", params["end_date"]) if params.get("end_date", "").strip() else None
    start = parse_datetime("start_date", params["start_date"]) if params.get("start_date", "").strip() else None
    if start is None:
        start = (end or datetime.now(timezone.utc)) - timedelta(days=DEFAULT_DAYS)
    if end is not None and end < start:
        raise Open311Error(400, "end_date nevar būt pirms start_date")
    return start, end


def _statuses(params: MultiDictProxy) -> tuple[str, ...]:
    """``status`` as register statuses: open, closed or both (comma lists, repeated too)."""
    wanted = {part.strip() for value in params.getall("status", []) for part in value.split(",") if part.strip()}
    if wanted - {"open", "closed"}:
        raise Open311Error(400, "status jābūt open, closed vai abiem (open,closed)")
    if wanted in (set(), {"open", "closed"}):
        return ()
    return OPEN_STATUSES if wanted == {"open"} else ("resolved", "closed")


class Open311:
    """The GeoReport v2 methods, the servicerequestupdates extension and service discovery."""

    def __init__(self, register: Callable[[], Register], catalogue: Callable[[], Catalogue] = load_catalogue,
                 jurisdiction: Optional[str] = None, media: Callable[[], MediaStore] = open_configured_media) -> None:
        self._register, self._catalogue, self._media = register, catalogue, media
        self._jurisdiction = jurisdiction

    @property
    def jurisdiction(self) -> str:
        if self._jurisdiction is None:
            self._jurisdiction = settings.load().open311_jurisdiction
        return self._jurisdiction

    def routes(self) -> list[web.RouteDef]:
        definition = self._endpoint(self.service_definition)
        return [
            web.get(f"{ROOT}/discovery.{FMT}", self._endpoint(self.discovery)),
            web.get(f"{PREFIX}/discovery.{FMT}", self._endpoint(self.discovery)),
            web.get(f"{PREFIX}/services.{FMT}", self._endpoint(self.services)),
            web.get(f"{PREFIX}/services/{{code}}.{FMT}", definition),
            web.get(f"{PREFIX}/service/{{code}}.{FMT}", definition),  # the PyPI open311 client's path
            web.get(f"{PREFIX}/requests.{FMT}", self._endpoint(self.requests)),
            web.post(f"{PREFIX}/requests.{FMT}", self._endpoint(self.post_request)),
            web.post(f"{PREFIX}//requests.{FMT}", self._endpoint(self.post_request)),  # an endpoint ending in /
            web.get(f"{PREFIX}/requests/{{id}}.{FMT}", self._endpoint(self.request)),
            web.get(f"{PREFIX}/tokens/{{token}}.{FMT}", self._endpoint(self.token)),
            web.get(f"{PREFIX}/servicerequestupdates.{FMT}", self._endpoint(self.updates)),
            web.route("*", f"{ROOT}/{{rest:.*}}", self.unknown),
        ]

    # ----- the door every method goes through
    def _endpoint(self, method: Callable[[Call], tuple[str, object, int]]) -> Callable:
        async def handle(request: web.Request) -> web.Response:
            fmt = request.match_info["fmt"]
            try:
                params = await self._params(request)
                key = request.headers.get("Idempotency-Key")
                if key is not None and not 0 < len(key) <= MAX_IDEMPOTENCY_KEY_CHARS:
                    raise Open311Error(400, f"Idempotency-Key: 1 līdz {MAX_IDEMPOTENCY_KEY_CHARS} rakstzīmes")
                jurisdiction = params.get("jurisdiction_id", "").strip()
                if jurisdiction and jurisdiction != self.jurisdiction:
                    raise Open311Error(400, f"jurisdiction_id {jurisdiction} nav zināms; šeit: {self.jurisdiction}")
                given_key = params.get("api_key", "")
                client = await asyncio.to_thread(api_keys.client_of, self._register().engine, given_key)
                if given_key and client is None:
                    raise Open311Error(403, "api_key nav derīga vai ir atsaukta")
                call = Call(params, client, dict(request.match_info), f"{request.scheme}://{request.host}{PREFIX}", key)
                root, document, status = await asyncio.to_thread(method, call)
            except Open311Error as problem:
                return error(fmt, problem.status, problem.description)
            return render(fmt, root, document, status)

        return handle

    @staticmethod
    async def _params(request: web.Request) -> MultiDictProxy:
        """The query string, and for a POST the body (form or JSON object) over it."""
        if request.method != "POST":
            return request.query
        if request.content_type == "application/json":
            body, _ = read_json(await request.read())
            if not isinstance(body, dict):
                raise Open311Error(400, "pieprasījuma saturam jābūt JSON objektam vai formai")
            form = MultiDict((k, str(v)) for k, v in body.items() if isinstance(v, (str, int, float)))
        else:
            form = MultiDict((k, v) for k, v in (await request.post()).items() if isinstance(v, str))
        merged = MultiDict(form)
        for name, value in request.query.items():  # e.g. api_key and jurisdiction_id in the query string
            if name not in form:
                merged.add(name, value)
        return MultiDictProxy(merged)

    async def unknown(self, request: web.Request) -> web.Response:
        fmt = "xml" if request.path.endswith(".xml") else "json"
        return error(fmt, 404, "Šāda Open311 resursa nav (formāti: .xml, .json)")

    # ----- discovery and services
    def discovery(self, call: Call) -> tuple[str, object, int]:
        modified = datetime.fromtimestamp(CATALOGUE_FILE.stat().st_mtime, timezone.utc)
        changeset = iso(modified)
        return "discovery", {
            "changeset": changeset,
            "contact": f"{self._catalogue().institution}, izmantojot Palīgu",
            "key_service": "Lasīšanai atslēga nav vajadzīga. Api atslēgu pieteikumu iesniegšanai izsniedz iestādes "
                           "Palīga administrators.",
            "endpoints": [{"specification": SPECIFICATION, "url": call.base_url, "changeset": changeset,
                           "type": "production", "formats": ["text/xml", "application/json"]}],
        }, 200

    def _services(self) -> list[dict]:
        catalogue = self._catalogue()
        listed = [{"service_code": code, "service_name": name, "description": text, "metadata": True,
                   "type": "realtime", "keywords": "", "group": name} for code, (name, text) in KIND_SERVICES.items()]
        listed += [{"service_code": s.id, "service_name": s.name, "description": f"{s.name} ({s.unit}); izpildes "
                    f"termiņš {s.handling_days} darba dienas.", "metadata": True, "type": "realtime",
                    "keywords": ", ".join(s.synonyms), "group": s.unit} for s in catalogue.services]
        return listed

    def _known_service(self, code: str) -> bool:
        return code in KIND_SERVICES or self._catalogue().get(code) is not None

    def services(self, call: Call) -> tuple[str, object, int]:
        return "services", self._services(), 200

    def service_definition(self, call: Call) -> tuple[str, object, int]:
        code = call.path["code"]
        if not self._known_service(code):
            raise Open311Error(404, f"service_code {code} nav atrasts")
        return "service_definition", {"service_code": code, "attributes": ATTRIBUTES}, 200

    # ----- reading requests
    def _may_read(self, client: Optional[ApiClient], registration: Registration) -> bool:
        """Free text only for the key that posted the request, or for a read-all key."""
        return client is not None and (client.read_all or posted_by(self._register(), registration, client.name))

    def _media_url(self, registration: Registration, call: Call) -> Optional[str]:
        """The posted media URL, else the first photo sent in chat as a signed portal URL (valid an hour)."""
        if registration.media_url:
            return registration.media_url
        photos = self._register().media_of(registration.reference)
        if not photos:
            return None
        origin = call.base_url[: -len(PREFIX)] if call.base_url.endswith(PREFIX) else call.base_url
        return origin + self._media().url(photos[0]["sha256"])

    def _describe(self, registration: Registration, note: Optional[str], readable: bool,
                  call: Optional[Call] = None) -> dict:
        catalogue = self._catalogue()
        r = registration
        service = catalogue.get(r.service_id) if r.service_id else None
        code = service.id if service else (r.kind if r.kind != "service_request" else UNLISTED_SERVICE)
        due = deadline(r, catalogue.handling_days)
        return {
            "service_request_id": r.reference,
            "status": "open" if r.status in OPEN_STATUSES else "closed",
            "status_notes": note if readable else None,
            "service_name": service.name if service else KIND_SERVICES[code][0],
            "service_code": code,
            "description": (r.text or None) if readable else None,
            "agency_responsible": service.unit if service else catalogue.institution,
            "service_notice": None,
            "requested_datetime": iso(r.created_at),
            "updated_datetime": iso(r.updated_at),
            "expected_datetime": iso(datetime.combine(due, time(23, 59, 59), RIGA)),
            "address": r.address if readable else None,
            "address_id": r.address_id,
            "zipcode": None,
            "lat": r.latitude,
            "long": r.longitude,
            "media_url": (self._media_url(r, call) if call else r.media_url) if readable else None,
        }

    def _found(self, call: Call, wanted: RequestFilter) -> list[dict]:
        found = find_requests(self._register().engine, wanted)
        return [self._describe(r, note, self._may_read(call.client, r), call) for r, note in found]

    def requests(self, call: Call) -> tuple[str, object, int]:
        params = call.params
        limit, offset = _page(params)
        if params.get("service_request_id", "").strip():  # the spec: the other filters are then ignored
            references = [parse_reference(part) for part in params["service_request_id"].split(",")]
            wanted = RequestFilter(references=[r for r in references if r], limit=limit, offset=offset)
        else:
            start, end = _window(params)
            codes = frozenset(c.strip() for c in params.get("service_code", "").split(",") if c.strip())
            wanted = RequestFilter(start=start, end=end, statuses=_statuses(params), service_codes=codes,
                                   limit=limit, offset=offset)
        return "service_requests", self._found(call, wanted), 200

    def request(self, call: Call) -> tuple[str, object, int]:
        reference = parse_reference(call.path["id"])
        found = self._found(call, RequestFilter(references=[reference])) if reference else []
        if not found:
            raise Open311Error(404, f"service_request_id {call.path['id']} nav atrasts")
        return "service_requests", found, 200

    def token(self, call: Call) -> tuple[str, object, int]:
        token = call.path["token"]
        reference = reference_of_token(self._register().engine, token) if len(token) <= 32 else None
        if reference is None:
            raise Open311Error(404, f"token {token} nav atrasts")
        return "service_requests", [{"service_request_id": reference, "token": token}], 200

    def updates(self, call: Call) -> tuple[str, object, int]:
        """servicerequestupdates: each status move and note for the applicant in the window."""
        limit, offset = _page(call.params)
        start, end = _window(call.params)
        found = find_updates(self._register().engine, start, end or datetime.now(timezone.utc), limit, offset)
        return "service_request_updates", [{
            "update_id": str(u.update_id),
            "service_request_id": u.registration.reference,
            "status": "open" if u.status in OPEN_STATUSES else "closed",
            "updated_datetime": iso(u.changed_at),
            "description": u.note if self._may_read(call.client, u.registration) else None,
            "media_url": None,
        } for u in found], 200

    # ----- posting a request
    def post_request(self, call: Call) -> tuple[str, object, int]:
        if call.client is None:
            raise Open311Error(403, "pieteikuma iesniegšanai vajadzīga derīga api_key")
        post = self._validated(call.params)
        register = self._register()
        consented = post["attributes"].get(CONSENT) == "yes"
        keys = submission_keys(call.client.name, call.idempotency_key, post["device_id"],
                               dict(call.params.items()), datetime.now(timezone.utc))
        for key in keys[1:]:  # the same post, stored in the previous retry window
            stored = register.stored_submission(key)
            if stored:
                return self._created(*stored, post, consented)
        code = post["service_code"]
        service = self._catalogue().get(code)
        kind = code if code in KINDS else "service_request"
        contact = "; ".join(filter(None, [" ".join(filter(None, [post["first_name"], post["last_name"]])),
                                          post["email"], post["phone"]])) if consented else ""
        place = Place(post["lat"], post["long"], post["address_string"], post["address_id"], post["media_url"])
        created = register.create(
            kind=kind, kind_predicted=kind, text=post["description"] or "", channel=OPEN311_CHANNEL,
            sender_id=sender_id_of(call.client.name), service_id=service.id if service else None,
            contact=contact or None, delivery={"email": post["email"]} if consented and post["email"] else None,
            submission_key=keys[0] if keys else None, place=place, open311_token=secrets.token_urlsafe(12),
        )
        return self._created(*created, post, consented)

    @staticmethod
    def _created(registration: Registration, access_code: str, post: dict, consented: bool) -> tuple[str, object, int]:
        reference = registration.reference
        notice = (f"Reģistrēts ar numuru {reference}. Piekļuves kods: {access_code} (ar numuru un kodu statusu var "
                  f"uzzināt tērzēšanā: “statuss {reference} kods {access_code}”).")
        if not consented and any(post[name] for name in ("first_name", "last_name", "email", "phone")):
            notice += " Kontaktinformāciju nesaglabājām: nebija piekrišanas (contact_consent)."
        return "service_requests", [{
            "service_request_id": reference, "token": registration.open311_token, "service_notice": notice,
            "account_id": post["account_id"], "access_code": access_code,
        }], 201

    def _validated(self, params: MultiDictProxy) -> dict:
        """Every posted field checked (400/404 with the reason) and masked; absent ones None."""
        for name in set(params.keys()):
            if len(params.getall(name)) > 1 and not name.endswith("[]"):
                raise Open311Error(400, f"{name} norādīts vairāk nekā vienreiz")
        post: dict = {}
        for name, limit in MAX_CHARS.items():
            value = _CONTROL.sub("", params.get(name, "")).strip()
            if len(value) > limit:
                raise Open311Error(400, f"{name} ir par garu (ne vairāk kā {limit} rakstzīmes)")
            post[name] = mask_personal_codes(value) if value else None
        code = post["service_code"]
        if not code:
            raise Open311Error(400, "vajadzīgs service_code")
        if not self._known_service(code):
            raise Open311Error(404, f"service_code {code} nav atrasts")
        post["lat"], post["long"] = self._coordinates(params.get("lat", "").strip(), params.get("long", "").strip())
        email = post["email"]
        if email and not _EMAIL.fullmatch(email):
            raise Open311Error(400, "email jābūt vienai e-pasta adresei (ne vairāk kā 254 rakstzīmes)")
        if post["phone"] and not _PHONE.fullmatch(params["phone"].strip()):
            raise Open311Error(400, "phone jābūt tālruņa numuram (cipari, atstarpes, + ( ) - . /)")
        url = post["media_url"]
        if url and not re.fullmatch(r"https?://[^\s<>\"]+", url):
            raise Open311Error(400, "media_url jābūt http:// vai https:// adresei")
        post["attributes"] = self._attributes(params)
        return post

    @staticmethod
    def _coordinates(lat: str, long: str) -> tuple[Optional[float], Optional[float]]:
        if not lat and not long:
            return None, None
        if not (lat and long):
            raise Open311Error(400, "lat un long jānorāda abi kopā")
        try:
            latitude, longitude = float(lat), float(long)
        except ValueError:
            raise Open311Error(400, "lat un long jābūt skaitļiem (WGS84 grādi)") from None
        if not (math.isfinite(latitude) and math.isfinite(longitude)
                and -90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise Open311Error(400, "lat jābūt no -90 līdz 90 un long no -180 līdz 180")
        return latitude, longitude

    @staticmethod
    def _attributes(params: MultiDictProxy) -> dict[str, str]:
        """``attribute[code]=value`` checked against the service definition."""
        given: dict[str, str] = {}
        known = {a["code"]: a for a in ATTRIBUTES}
        for name, value in params.items():
            if not name.startswith("attribute"):
                continue
            match = _ATTRIBUTE.fullmatch(name)
            if not match or match.group(1) not in known:
                raise Open311Error(400, f"{name}: šāda atribūta pakalpojuma aprakstā nav")
            attribute = known[match.group(1)]
            if match.group(2) and attribute["datatype"] != "multivaluelist":
                raise Open311Error(400, f"{name}: atribūtam ir viena vērtība")
            if len(value) > MAX_ATTRIBUTE_CHARS or value not in {v["key"] for v in attribute["values"]}:
                keys = ", ".join(v["key"] for v in attribute["values"])
                raise Open311Error(400, f"{name}: vērtībai jābūt vienai no: {keys}")
            given[match.group(1)] = value
        return given
