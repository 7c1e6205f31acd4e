"""audiences as sets, meeting end and purge times, group retention

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 22:00:00.000000
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("meetingevent", schema=None) as batch_op:
        batch_op.alter_column(
            "audience",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=64),
            type_=sa.Text(),
            existing_nullable=True,
        )
    # One member's id becomes a list of one: the column now holds a JSON list of member ids.
    op.execute(
        "UPDATE meetingevent SET audience = '[\"' || audience || '\"]' WHERE audience IS NOT NULL"
    )
    _marks_to_their_owners()
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("ended_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("purged_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
    # Meetings that ended before their end was recorded: retention counts from the upgrade.
    op.execute("UPDATE meeting SET ended_at = CURRENT_TIMESTAMP WHERE stage = 'ended'")
    with op.batch_alter_table("codev_group", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("retention_days", sa.Integer(), nullable=False, server_default="365")
        )


def _marks_to_their_owners() -> None:
    """Marks stored before were for the whole meeting: now their client's and facilitator's."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT e.meeting_id, e.seq, e.payload, m.state FROM meetingevent e "
            "JOIN meeting m ON m.id = e.meeting_id WHERE e.type = 'contribution_marked'"
        )
    ).all()
    for meeting_id, seq, payload, state in rows:
        plan = json.loads(state)["plan"]
        client = plan["consultations"][json.loads(payload)["consultation"]]["client"]
        owners = sorted({plan["facilitator"], client} - {None})
        connection.execute(
            sa.text("UPDATE meetingevent SET audience = :a WHERE meeting_id = :m AND seq = :s"),
            {"a": json.dumps(owners), "m": meeting_id, "s": seq},
        )


def downgrade() -> None:
    with op.batch_alter_table("codev_group", schema=None) as batch_op:
        batch_op.drop_column("retention_days")
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_column("purged_at")
        batch_op.drop_column("ended_at")
    # Back to one member per event: marks (client and facilitator) were not private before.
    op.execute(
        "UPDATE meetingevent SET audience = NULL WHERE audience IS NOT NULL AND audience LIKE '%,%'"
    )
    op.execute(
        "UPDATE meetingevent SET audience = substr(audience, 3, length(audience) - 4) "
        "WHERE audience IS NOT NULL"
    )
    with op.batch_alter_table("meetingevent", schema=None) as batch_op:
        batch_op.alter_column(
            "audience",
            existing_type=sa.Text(),
            type_=sqlmodel.sql.sqltypes.AutoString(length=64),
            existing_nullable=True,
        )
