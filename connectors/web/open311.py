"""Open311 GeoReport v2 (JSON) on the register, served by the portal under ``/open311/v2/``.

Services are the catalogue's services plus ``complaint``, ``suggestion`` and
``service_request`` (a request for a service not in the catalogue). A service request's
``service_request_id`` is the reference; ``status`` is open until the registration is
resolved or closed. Reading needs no key and shows no personal data (the description only
with a valid ``api_key``; contact and sender never); posting needs an ``api_key`` and
registers through the same ``Register.create`` as the chat. Errors are a JSON list of
``{"code", "description"}``.
"""
from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta, timezone
from typing import Callable, Optional
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.register import KINDS, MAX_TEXT_LENGTH, Register, Registration, api_keys, parse_reference
from bot.register.lifecycle import OPEN_STATUSES
from bot.register.open311 import UNLISTED_SERVICE, RequestFilter, find_requests
from bot.register.queries import deadline
from connectors.ingress import read_json
from knowledge_base.catalogue import Catalogue, load_catalogue

PREFIX = "/open311/v2"
RIGA = ZoneInfo("Europe/Riga")
DEFAULT_DAYS, MAX_RESULTS = 90, 1000
KIND_SERVICES = {
    "complaint": ("Sūdzība", "Sūdzība par iestādes darbu vai pakalpojumu."),
    "suggestion": ("Ierosinājums", "Ierosinājums iestādes darba vai pakalpojumu uzlabošanai."),
    UNLISTED_SERVICE: ("Cits pakalpojums", "Pakalpojuma pieprasījums, kura nav katalogā; pakalpojumu precizēs darbinieks."),
}


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status, self.description = status, description


def error_response(status: int, description: str) -> web.Response:
    return web.json_response([{"code": status, "description": description}], status=status)


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_datetime(name: str, value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(400, f"{name} must be an ISO 8601 date-time, e.g. 2026-01-31T00:00:00Z") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class Open311:
    """The six GeoReport v2 methods, JSON only."""

    def __init__(self, register: Callable[[], Register], catalogue: Callable[[], Catalogue] = load_catalogue) -> None:
        self._register, self._catalogue = register, catalogue

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get(f"{PREFIX}/services.json", self.services),
            web.get(f"{PREFIX}/services/{{code}}.json", self.service_definition),
            web.get(f"{PREFIX}/requests.json", self.requests),
            web.post(f"{PREFIX}/requests.json", self.post_request),
            web.get(f"{PREFIX}/requests/{{id}}.json", self.request),
            web.route("*", f"{PREFIX}/{{rest:.*}}", self.unknown),
        ]

    # ----- services
    def _services(self) -> list[dict]:
        catalogue = self._catalogue()
        listed = [{"service_code": code, "service_name": name, "description": text, "metadata": False,
                   "type": "realtime", "keywords": "", "group": name} for code, (name, text) in KIND_SERVICES.items()]
        listed += [{"service_code": s.id, "service_name": s.name, "description": f"{s.name} ({s.unit}); izpildes "
                    f"termiņš {s.handling_days} darba dienas.", "metadata": False, "type": "realtime",
                    "keywords": ", ".join(s.synonyms), "group": s.unit} for s in catalogue.services]
        return listed

    async def services(self, request: web.Request) -> web.Response:
        return web.json_response(await asyncio.to_thread(self._services))

    async def service_definition(self, request: web.Request) -> web.Response:
        code = request.match_info["code"]
        if not any(s["service_code"] == code for s in await asyncio.to_thread(self._services)):
            return error_response(404, f"service_code {code} not found")
        return web.json_response({"service_code": code, "attributes": []})

    # ----- requests
    def _describe(self, found: list[tuple[Registration, Optional[str]]], with_description: bool) -> list[dict]:
        catalogue = self._catalogue()
        described = []
        for r, note in found:
            service = catalogue.get(r.service_id) if r.service_id else None
            code = service.id if service else (r.kind if r.kind != "service_request" else UNLISTED_SERVICE)
            due = deadline(r, catalogue.handling_days)
            described.append({
                "service_request_id": r.reference,
                "status": "open" if r.status in OPEN_STATUSES else "closed",
                "status_notes": note,
                "service_name": service.name if service else KIND_SERVICES[code][0],
                "service_code": code,
                "description": r.text if with_description else None,
                "agency_responsible": service.unit if service else catalogue.institution,
                "service_notice": None,
                "requested_datetime": iso(r.created_at),
                "updated_datetime": iso(r.updated_at),
                "expected_datetime": iso(datetime.combine(due, time(23, 59, 59), RIGA)),
                "address": None, "address_id": None, "zipcode": None, "lat": None, "long": None, "media_url": None,
            })
        return described

    @staticmethod
    def _filter(query: dict[str, str]) -> RequestFilter:
        """The query parameters as a register filter (400 for bad values)."""
        if query.get("service_request_id"):  # the spec: other parameters are then ignored
            wanted = [parse_reference(part) for part in query["service_request_id"].split(",")]
            return RequestFilter(references=[w for w in wanted if w])
        end = parse_datetime("end_date", query["end_date"]) if query.get("end_date") else None
        start = parse_datetime("start_date", query["start_date"]) if query.get("start_date") else None
        if start is None:
            start = (end or datetime.now(timezone.utc)) - timedelta(days=DEFAULT_DAYS)
        status = query.get("status")
        if status and status not in ("open", "closed"):
            raise Open311Error(400, "status must be open or closed")
        statuses = () if not status else OPEN_STATUSES if status == "open" else ("resolved", "closed")
        codes = frozenset(filter(None, query.get("service_code", "").split(",")))
        return RequestFilter(start=start, end=end, statuses=statuses, service_codes=codes, limit=MAX_RESULTS)

    def _find(self, query: dict[str, str], with_description: bool) -> list[dict]:
        return self._describe(find_requests(self._register().engine, self._filter(query)), with_description)

    async def _has_key(self, key: Optional[str]) -> bool:
        return await asyncio.to_thread(api_keys.client_of, self._register().engine, key) is not None

    async def requests(self, request: web.Request) -> web.Response:
        with_description = await self._has_key(request.query.get("api_key"))
        try:
            found = await asyncio.to_thread(self._find, dict(request.query), with_description)
        except Open311Error as error:
            return error_response(error.status, error.description)
        return web.json_response(found)

    async def request(self, request: web.Request) -> web.Response:
        reference = parse_reference(request.match_info["id"])
        with_description = await self._has_key(request.query.get("api_key"))
        found = await asyncio.to_thread(self._find, {"service_request_id": reference or "-"}, with_description)
        if not found:
            return error_response(404, f"service_request_id {request.match_info['id']} not found")
        return web.json_response(found)

    async def post_request(self, request: web.Request) -> web.Response:
        try:
            form = await self._form(request)
            client = await asyncio.to_thread(api_keys.client_of, self._register().engine, form.get("api_key"))
            if client is None:
                raise Open311Error(403, "a valid api_key is required to post a service request")
            created = await asyncio.to_thread(self._create, form, client)
        except Open311Error as error:
            return error_response(error.status, error.description)
        return web.json_response(created, status=201)

    @staticmethod
    async def _form(request: web.Request) -> dict[str, str]:
        if request.content_type == "application/json":
            body, _ = read_json(await request.read())
            if not isinstance(body, dict):
                raise Open311Error(400, "the body must be a JSON object or a form")
            return {k: str(v) for k, v in body.items() if isinstance(v, (str, int, float))}
        return {k: v for k, v in (await request.post()).items() if isinstance(v, str)}

    def _create(self, form: dict[str, str], client: str) -> list[dict]:
        code = form.get("service_code", "")
        description = form.get("description", "").strip()
        catalogue = self._catalogue()
        service = catalogue.get(code)
        if not (service or code in KIND_SERVICES):
            raise Open311Error(400 if not code else 404, f"service_code {code or '(missing)'} not found")
        if not description:
            raise Open311Error(400, "description is required")
        if form.get("address_string"):
            description += f"\nAdrese: {form['address_string'].strip()}"
        kind = code if code in KINDS else "service_request"
        email = form.get("email", "").strip() or None
        registration, access_code = self._register().create(
            kind=kind, kind_predicted=kind, text=description[:MAX_TEXT_LENGTH], channel="open311",
            sender_id=f"apikey:{client}", service_id=service.id if service else None, contact=email,
            delivery={"email": email} if email else None,
        )
        notice = (f"Reģistrēts ar numuru {registration.reference}. Piekļuves kods: {access_code} (ar numuru un kodu "
                  f"statusu var uzzināt tērzēšanā: “statuss {registration.reference} kods {access_code}”).")
        return [{"service_request_id": registration.reference, "access_code": access_code, "service_notice": notice,
                 "account_id": None}]

    async def unknown(self, request: web.Request) -> web.Response:
        if request.path.endswith(".xml"):
            return error_response(400, "only the JSON format is supported")
        return error_response(404, "no such Open311 resource")
