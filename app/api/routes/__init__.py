"""One router per resource; ``app.main`` includes every router of ``ROUTERS``."""

from fastapi import APIRouter

from . import auth, charter, cycles, groups, invites, me, meetings, members, organizers, setup

ROUTERS: list[APIRouter] = [
    setup.router,
    auth.router,
    me.router,
    organizers.router,
    groups.router,
    members.router,
    invites.router,
    invites.links,
    meetings.router,
    cycles.router,
    charter.router,
]
