"""First start: print a one-time link that creates the first organizer account.

There is no default password to forget to change: until an organizer exists, whoever can read
the server's console (and only they) gets a fresh, short-lived setup link on every start.
"""

from __future__ import annotations

import sys
from datetime import timedelta

from sqlmodel import delete, select

from app.security import hash_token, new_token
from app.services import Services
from app.store.models import Organizer, SetupToken, utcnow


async def announce_setup_link(services: Services) -> None:
    """If nobody can sign in yet, replace any old setup token and print a link with a new one."""
    settings = services.settings
    async with services.sessions() as session:
        if (await session.exec(select(Organizer.id).limit(1))).first() is not None:
            return
        token = new_token()
        expires_at = utcnow() + timedelta(hours=settings.setup_ttl_hours)
        await session.exec(delete(SetupToken))  # only the link printed last works
        session.add(SetupToken(token_hash=hash_token(settings.key, token), expires_at=expires_at))
        await session.commit()
    link = f"{settings.base_url}/setup?token={token}"
    rule = "=" * 72
    print(
        f"\n{rule}\n"
        "  Codev has no organizer account yet.\n"
        "  Open this link once to create the first organizer account:\n\n"
        f"    {link}\n\n"
        f"  It works once, until {expires_at:%Y-%m-%d %H:%M} UTC;"
        " restart the server for a new one.\n"
        f"{rule}\n",
        file=sys.stdout,
        flush=True,
    )
