"""display settings: a site's lobby display languages and what it does on a call

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("display_languages", sa.JSON(), server_default='["en", "es"]', nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "display_announce",
                sa.Enum("off", "chime", "chime_and_speech", name="displayannounce", native_enum=False, length=16),
                server_default="off",
                nullable=False,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_column("display_announce")
        batch_op.drop_column("display_languages")
