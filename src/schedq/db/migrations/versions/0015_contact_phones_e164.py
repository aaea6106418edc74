"""contact phones in E.164: numbers kept as typed before contacts were normalised are rewritten

A patient's phone is kept in E.164 (README: "Contacts"), the form the SMS
provider is sent and STOP replies come back in; bookings and tickets written
before that rule kept the number as typed, so their messages went to a number
the provider may refuse, a STOP from it did not match, and the per-contact
limits counted the patient twice. This rewrites each such number as the
site's country reads it (the rule `domain.contact.normal_phone` applies to new
ones); a number that is not a valid number of that country is left as it was.
The downgrade keeps the numbers in E.164: how they were typed is not kept.

Revision ID: 0015
Revises: 0014
"""

import phonenumbers
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def _e164(phone: str, country: str) -> str | None:
    try:
        number = phonenumbers.parse(phone, country)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def upgrade() -> None:
    bind = op.get_bind()
    for table in ("appointments", "tickets"):
        rows = bind.execute(
            sa.text(
                f"SELECT t.id, t.contact_phone, s.country FROM {table} t JOIN sites s ON s.id = t.site_id "
                "WHERE t.contact_phone IS NOT NULL"
            )
        ).all()
        for row_id, phone, country in rows:
            kept = _e164(phone, country or "US")
            if kept is not None and kept != phone:
                bind.execute(
                    sa.text(f"UPDATE {table} SET contact_phone = :phone WHERE id = :id"),
                    {"phone": kept, "id": row_id},
                )


def downgrade() -> None:
    pass
