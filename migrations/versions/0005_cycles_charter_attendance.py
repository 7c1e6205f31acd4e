"""cycles with their meetings, the charter's versions and acceptances, presence at meetings

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 22:59:39.101651
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cycle",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("group_id", sa.String(length=32), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("starts_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("rhythm_weeks", sa.Integer(), nullable=False),
        sa.Column("planned_meetings", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["codev_group.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("cycle", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cycle_group_id"), ["group_id"], unique=False)

    op.create_table(
        "charterversion",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("group_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("saved_by_member_id", sa.String(length=32), nullable=True),
        sa.Column("saved_by_organizer_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["codev_group.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["saved_by_member_id"], ["member.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["saved_by_organizer_id"], ["organizer.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("group_id", "version"),
    )
    with op.batch_alter_table("charterversion", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_charterversion_group_id"), ["group_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_charterversion_saved_by_member_id"), ["saved_by_member_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_charterversion_saved_by_organizer_id"),
            ["saved_by_organizer_id"],
            unique=False,
        )

    op.create_table(
        "charteracceptance",
        sa.Column("member_id", sa.String(length=32), nullable=False),
        sa.Column("charter_id", sa.String(length=32), nullable=False),
        sa.Column("accepted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["charter_id"], ["charterversion.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("member_id", "charter_id"),
    )
    op.create_table(
        "meetingpresence",
        sa.Column("meeting_id", sa.String(length=32), nullable=False),
        sa.Column("member_id", sa.String(length=32), nullable=False),
        sa.Column("first_seen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("meeting_id", "member_id"),
    )
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cycle_id", sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f("ix_meeting_cycle_id"), ["cycle_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_meeting_cycle_id_cycle", "cycle", ["cycle_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_constraint("fk_meeting_cycle_id_cycle", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_meeting_cycle_id"))
        batch_op.drop_column("cycle_id")

    op.drop_table("meetingpresence")
    op.drop_table("charteracceptance")
    with op.batch_alter_table("charterversion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_charterversion_saved_by_organizer_id"))
        batch_op.drop_index(batch_op.f("ix_charterversion_saved_by_member_id"))
        batch_op.drop_index(batch_op.f("ix_charterversion_group_id"))

    op.drop_table("charterversion")
    with op.batch_alter_table("cycle", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cycle_group_id"))

    op.drop_table("cycle")
