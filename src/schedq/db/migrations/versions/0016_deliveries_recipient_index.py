"""deliveries by recipient: whether a number was texted lately is read for every SMS sent

Revision ID: 0016
Revises: 0015
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_deliveries_recipient_sent", "deliveries", ["recipient", "sent_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_deliveries_recipient_sent", table_name="deliveries")
