"""sessions remember the invite link that opened them

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 21:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A new invite link ends the sessions its predecessor opened (a leaked link is fixed).
    with op.batch_alter_table("authsession", schema=None) as batch_op:
        batch_op.add_column(sa.Column("invite_id", sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f("ix_authsession_invite_id"), ["invite_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_authsession_invite_id_invite", "invite", ["invite_id"], ["id"], ondelete="CASCADE"
        )


def downgrade() -> None:
    with op.batch_alter_table("authsession", schema=None) as batch_op:
        batch_op.drop_constraint("fk_authsession_invite_id_invite", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_authsession_invite_id"))
        batch_op.drop_column("invite_id")
