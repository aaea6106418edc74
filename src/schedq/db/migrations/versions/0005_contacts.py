"""contacts: the site's country for phone numbers, limits on anonymous writes as site settings, shared rate counters

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

import schedq.db.base

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

LIMITS = {
    "bookings_per_contact_per_day": "3",
    "bookings_per_address_per_hour": "10",
    "remote_joins_per_contact_per_day": "2",
    "remote_joins_per_address_per_hour": "10",
}


def upgrade() -> None:
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.add_column(sa.Column("country", sa.String(length=2), server_default="US", nullable=False))
        for name, default in LIMITS.items():
            batch_op.add_column(sa.Column(name, sa.Integer(), server_default=default, nullable=False))
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.create_index("ix_appointments_contact_phone", ["contact_phone"], unique=False)
        batch_op.create_index("ix_appointments_contact_email", ["contact_email"], unique=False)
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index("ix_tickets_contact_phone", ["contact_phone"], unique=False)
        batch_op.create_index("ix_tickets_contact_email", ["contact_email"], unique=False)
        # Addresses are counted in rate_counters now; tickets keep none.
        batch_op.drop_column("client_address")
    op.create_table(
        "rate_counters",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("window_start", schedq.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("window_end", schedq.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start", name=op.f("pk_rate_counters")),
    )
    with op.batch_alter_table("rate_counters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rate_counters_window_end"), ["window_end"], unique=False)


def downgrade() -> None:
    op.drop_table("rate_counters")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_address", sa.String(length=64), nullable=True))
        batch_op.drop_index("ix_tickets_contact_email")
        batch_op.drop_index("ix_tickets_contact_phone")
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.drop_index("ix_appointments_contact_email")
        batch_op.drop_index("ix_appointments_contact_phone")
    with op.batch_alter_table("sites", schema=None) as batch_op:
        for name in reversed(LIMITS):
            batch_op.drop_column(name)
        batch_op.drop_column("country")
