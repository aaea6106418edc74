"""site senders: a site's own email sender and SMS number for its messages

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_from", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("sms_from", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_column("sms_from")
        batch_op.drop_column("email_from")
