"""Request and response building blocks shared by several routers.

Bodies forbid unknown fields (a typo is an error, not a silently ignored option) and bound every
string and list, so no request can make the server store or loop over more than it should.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, ClassVar, Literal, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

from app.store.models import Member, Organizer

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
GroupName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Email = Annotated[EmailStr, Field(max_length=254)]
Password = Annotated[str, Field(min_length=10, max_length=256)]
Token = Annotated[str, Field(min_length=1, max_length=200)]
Language = Literal["en", "fr"]

OUT_OF_CALENDAR = "the moment must be between years 1 and 9999 once converted to universal time"


def _in_utc(moment: datetime) -> datetime:
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-14:00 is in year 10000 in UTC
        raise PydanticCustomError("datetime_range", OUT_OF_CALENDAR) from None


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_in_utc)]
"""A moment with its UTC offset (a naive time is ambiguous), answered back in UTC."""


class Body(BaseModel):
    """A request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class Patch(Body):
    """A partial update: omitted fields stay as they are; those in ``not_null`` may not be null."""

    not_null: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _no_nulls(self) -> Self:
        for name in sorted(self.model_fields_set & self.not_null):
            if getattr(self, name) is None:
                raise PydanticCustomError("null", "{field} cannot be null", {"field": name})
        return self

    def changes(self) -> dict[str, object]:
        return self.model_dump(exclude_unset=True)


class Public(BaseModel):
    """A response: read from table rows."""

    model_config = ConfigDict(from_attributes=True)


class OrganizerPublic(Public):
    id: str
    name: str
    email: str

    @classmethod
    def of(cls, organizer: Organizer) -> OrganizerPublic:
        return cls.model_validate(organizer)


class MemberPublic(Public):
    id: str
    group_id: str
    name: str
    email: str | None
    """Shown to the group's organizer only: members do not see each other's addresses."""
    language: str
    is_facilitator: bool
    is_organizer: bool
    """True for the organizer's own member row (they take part as this member)."""
    mail_refused: str | None = None
    """The mail server's permanent refusal of this address (a bounce); organizer only."""

    @classmethod
    def of(cls, member: Member, *, show_email: bool = True) -> MemberPublic:
        return cls(
            id=member.id,
            group_id=member.group_id,
            name=member.name,
            email=member.email if show_email else None,
            language=member.language,
            is_facilitator=member.is_facilitator,
            is_organizer=member.organizer_id is not None,
            mail_refused=member.mail_refused if show_email else None,
        )


RetentionDays = Annotated[int, Field(strict=True, ge=1, le=3_650)]
"""Days a group keeps the case content of its meetings after they end (``app.retention``)."""


class GroupPublic(Public):
    id: str
    name: str
    created_at: datetime
    retention_days: int
