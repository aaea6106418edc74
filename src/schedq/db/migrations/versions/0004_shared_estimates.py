"""shared_estimates: one estimate per site state, shared by every worker, with its single-flight lease

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

import schedq.db.base

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shared_estimates",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("state_key", sa.String(length=200), nullable=True),
        sa.Column("computed_at", schedq.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("lease_key", sa.String(length=200), nullable=True),
        sa.Column("lease_expires_at", schedq.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_shared_estimates_site_id_sites"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("site_id", "kind", name=op.f("pk_shared_estimates")),
    )


def downgrade() -> None:
    op.drop_table("shared_estimates")
