"""The staff page's "Jauns pieteikums" form on the portal.

``GET /staff/services`` lists the catalogue for the form's service select (public data).
``POST /staff/registrations`` with ``Authorization: Bearer <staff token>`` and a JSON body
``{"channel", "kind", "kind_suggested", "service", "text", "consent", "contact", "address",
"submission"}`` (one ``submission`` per form fill: the same fill sent again is stored once)
stores the registration (``bot.staff.entry.enter``) and answers
``{"reference", "access_code", "receipt"}``; a problem is a 400 with a Latvian ``error``.
"""
from __future__ import annotations

import asyncio
from typing import Awaitable, Callable, Optional

from aiohttp import web

from bot.register import Register
from bot.staff.directory import StaffMember
from bot.staff.entry import Entry, enter, entry_key, receipt
from connectors.ingress import read_json
from knowledge_base.catalogue import load_catalogue

NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def _text(body: dict, name: str) -> Optional[str]:
    value = body.get(name)
    return value.strip() if isinstance(value, str) and value.strip() else None


class StaffEntry:
    """The portal routes of the staff entry form."""

    def __init__(self, register: Callable[[], Register],
                 member: Callable[[web.Request], Awaitable[Optional[StaffMember]]]) -> None:
        """``member``: the staff member behind a request's token (the portal's ``StaffLogin.member``)."""
        self._register = register
        self._member = member

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/staff/services", self.services), web.post("/staff/registrations", self.create)]

    async def services(self, _: web.Request) -> web.Response:
        catalogue = load_catalogue()
        return web.json_response({"services": [{"id": s.id, "name": s.name} for s in catalogue.services]},
                                 headers={"X-Content-Type-Options": "nosniff"})

    async def create(self, request: web.Request) -> web.Response:
        member = await self._member(request)
        if member is None:
            return web.json_response({"error": "Sesija beigusies. Lūdzu, piesakieties vēlreiz."}, status=401,
                                     headers=NO_STORE)
        body, _ = read_json(await request.read())
        if not isinstance(body, dict):
            return web.json_response({"error": "Nepareizs pieprasījums."}, status=400, headers=NO_STORE)
        entry = Entry(channel=_text(body, "channel") or "", kind=_text(body, "kind") or "",
                      text=_text(body, "text") or "", kind_suggested=_text(body, "kind_suggested"),
                      service_id=_text(body, "service"), consent=body.get("consent") is True,
                      contact=_text(body, "contact"), address=_text(body, "address"))
        problem = entry.problem(load_catalogue())
        if problem:
            return web.json_response({"error": problem}, status=400, headers=NO_STORE)
        attempt = _text(body, "submission")  # one per form fill (staff.js): a double submit stores it once
        key = entry_key(member.identity, attempt) if attempt else None
        registration, code = await asyncio.to_thread(enter, self._register(), member.identity, entry, key)
        return web.json_response({"reference": registration.reference, "access_code": code,
                                  "receipt": receipt(registration, code)}, headers=NO_STORE)
