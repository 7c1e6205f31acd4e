"""The mails Codev sends, in English and French, each as plain text and HTML.

Only what the organizer typed to schedule (the group, the meeting's title, its time, its room
and video link) and the member's own invite link are ever written here: never case content.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from html import escape
from typing import Literal
from zoneinfo import ZoneInfo

Kind = Literal["invite", "meeting", "update", "cancel", "reminder", "prepare"]
Language = Literal["en", "fr"]

_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "invite.subject": "Your invitation to {group} on Codev",
        "invite.body": (
            "Hello {name},\n\nYou are invited to take part in {group} on Codev. This link is "
            "personal: it signs you in, on each of your devices, until {expires}. Do not pass "
            "it on."
        ),
        "invite.action": "Open Codev",
        "meeting.subject": "Invitation: {title}, {when}",
        "meeting.body": "Hello {name},\n\nYou are invited to {title} ({group}), {when}.",
        "update.subject": "Changed: {title}, {when}",
        "update.body": "Hello {name},\n\n{title} ({group}) has changed: it is now {when}.",
        "cancel.subject": "Cancelled: {title}",
        "cancel.body": "Hello {name},\n\n{title} ({group}), {when}, is cancelled.",
        "reminder.subject": "Reminder: {title}, {when}",
        "reminder.body": "Hello {name},\n\nA reminder: {title} ({group}) is {when}.",
        "prepare.subject": "Prepare your case for {title}",
        "prepare.body": (
            "Hello {name},\n\nYou present a case at {title} ({group}), {when}. Take a moment "
            "to prepare it: your situation, what is at stake for you, and the question you "
            "will ask the group. You write it in Codev at the start of the meeting."
        ),
        "room": "Meeting room",
        "video": "Video call",
        "no_date": "date to be announced",
        "footer": "Sent by Codev for your group's organizer.",
    },
    "fr": {
        "invite.subject": "Votre invitation à {group} sur Codev",
        "invite.body": (
            "Bonjour {name},\n\nVous êtes invité·e à participer à {group} sur Codev. Ce lien "
            "est personnel : il vous connecte, sur chacun de vos appareils, jusqu'au {expires}. "
            "Ne le transmettez pas."
        ),
        "invite.action": "Ouvrir Codev",
        "meeting.subject": "Invitation : {title}, {when}",
        "meeting.body": "Bonjour {name},\n\nVous êtes invité·e à {title} ({group}), {when}.",
        "update.subject": "Modifié : {title}, {when}",
        "update.body": "Bonjour {name},\n\n{title} ({group}) change : elle a lieu {when}.",
        "cancel.subject": "Annulé : {title}",
        "cancel.body": "Bonjour {name},\n\n{title} ({group}), {when}, est annulée.",
        "reminder.subject": "Rappel : {title}, {when}",
        "reminder.body": "Bonjour {name},\n\nUn rappel : {title} ({group}) a lieu {when}.",
        "prepare.subject": "Préparez votre situation pour {title}",
        "prepare.body": (
            "Bonjour {name},\n\nVous présentez une situation à {title} ({group}), {when}. "
            "Prenez un moment pour la préparer : le contexte, ce qui est en jeu pour vous et la "
            "question que vous poserez au groupe. Vous la saisirez dans Codev au début de la "
            "rencontre."
        ),
        "room": "Salle de la rencontre",
        "video": "Visioconférence",
        "no_date": "date à venir",
        "footer": "Envoyé par Codev pour l'organisateur ou l'organisatrice de votre groupe.",
    },
}


@dataclass(frozen=True, slots=True)
class Mail:
    """Everything a mail says, before it is put in a language."""

    kind: Kind
    to: str
    name: str
    language: str
    group: str
    title: str = ""
    when: datetime | None = None
    link: str | None = None
    """The invite link, or the meeting room."""
    video_url: str | None = None
    expires: datetime | None = None
    ics: bytes | None = None
    ics_method: str | None = None


def words(language: str) -> dict[str, str]:
    return _TEXT["fr" if language == "fr" else "en"]


def format_when(moment: datetime | None, zone: ZoneInfo, language: str) -> str:
    """Unambiguous in both languages: ``2027-01-05 18:00 (America/Montreal)``."""
    if moment is None:
        return words(language)["no_date"]
    local = moment.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} ({zone.key})"


def build(mail: Mail, sender: str, zone: ZoneInfo) -> EmailMessage:
    """The message: text, HTML alternative, and the ``.ics`` when there is one."""
    w = words(mail.language)
    fields = {
        "name": mail.name,
        "group": mail.group,
        "title": mail.title,
        "when": format_when(mail.when, zone, mail.language),
        "expires": f"{mail.expires:%Y-%m-%d}" if mail.expires else "",
    }
    key = mail.kind
    subject = w[f"{key}.subject"].format(**fields)
    body = w[f"{key}.body"].format(**fields)
    links: list[tuple[str, str]] = []
    if mail.link:
        links.append((w["invite.action"] if key == "invite" else w["room"], mail.link))
    if mail.video_url and key != "invite":
        links.append((w["video"], mail.video_url))
    colon = " : " if mail.language == "fr" else ": "  # French sets a space before the colon
    text = body + "\n\n" + "".join(f"{label}{colon}{url}\n" for label, url in links)
    text += f"\n-- \n{w['footer']}\n"
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in body.split("\n\n"))
    anchors = "".join(
        f'<p><a href="{escape(url, quote=True)}">{escape(label)}</a></p>' for label, url in links
    )
    html = (
        f'<!doctype html><html lang="{escape(mail.language)}"><body>'
        f"{paragraphs}{anchors}<p><small>{escape(w['footer'])}</small></p></body></html>"
    )
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1].strip("> "))
    message["Content-Language"] = mail.language
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    if mail.ics is not None:
        method = mail.ics_method or "REQUEST"
        message.add_attachment(
            mail.ics,
            maintype="text",
            subtype="calendar",
            filename="invite.ics" if method != "CANCEL" else "cancel.ics",
            params={"method": method},
        )
    return message
