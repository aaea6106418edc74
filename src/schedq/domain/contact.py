"""How to reach a patient: the only personal data schedq keeps, and the one form it is kept in.

Phone numbers are parsed with `phonenumbers` (Google's libphonenumber), taking
the site's country as the region of numbers written without a country code,
and kept in E.164 (`+12015550123`); a number that is not a valid number of its
country is refused. Emails are checked for syntax with `email-validator` (no
DNS or deliverability lookups) and kept as it normalises them, lower-cased.
So one patient's contact is written one way whatever way it was typed, and the
per-contact limits (README: limits) count it once.
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from schedq.domain.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Contact:
    name: str
    phone: str | None = None
    email: str | None = None


def normal_phone(phone: str, *, country: str, field: str = "contact.phone") -> str:
    """`phone` in E.164; numbers without a country code are read as numbers of `country`."""
    try:
        number = phonenumbers.parse(phone, country)
    except phonenumbers.NumberParseException:
        raise InvalidInput(field, "not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput(
            field, f"not a valid phone number (numbers without +country code are read as {country})"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_for_people(e164: str, country: str) -> str:
    """A kept E.164 number as people of `country` write it: `(217) 555-0100` in the US, `+44 20 …` abroad."""
    number = phonenumbers.parse(e164)
    same_country = phonenumbers.region_code_for_number(number) == country
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if same_country
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


def normal_email(email: str) -> str:
    """`email`, trimmed, as email-validator normalises it, lower-cased; its syntax only is checked."""
    try:
        checked = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidInput("contact.email", str(error)) from None
    return checked.normalized.lower()


def normalised(contact: Contact, *, country: str) -> Contact:
    """The contact with its phone and email in the forms kept (InvalidInput if either is malformed)."""
    return Contact(
        name=contact.name,
        phone=normal_phone(contact.phone, country=country) if contact.phone else None,
        email=normal_email(contact.email) if contact.email else None,
    )
