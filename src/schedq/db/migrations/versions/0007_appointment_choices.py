"""appointment choices: the patient's opt-ins to text and email messages, and why they cancelled

Messages are sent once notifications exist (issue 13); until then the opt-ins are only kept.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notify_sms", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("notify_email", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("cancel_reason", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.drop_column("cancel_reason")
        batch_op.drop_column("notify_email")
        batch_op.drop_column("notify_sms")
