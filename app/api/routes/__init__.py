"""One router per resource; ``app.main`` includes every router of ``ROUTERS``."""

from fastapi import APIRouter

from app.api import protocol

from . import (
    auth,
    calendar,
    charter,
    cycles,
    groups,
    invites,
    mail,
    me,
    meetings,
    members,
    organizers,
    setup,
)

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
    calendar.router,
    calendar.feeds,
    mail.router,
    protocol.router,
    cycles.router,
    charter.router,
]
