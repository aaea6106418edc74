"""`POST /fhir/Appointment`: book a Slot through FHIR (the `create` interaction), by the JSON API's booking rule.

The body is an R4 Appointment (README: "Booking through FHIR"):

- `slot`: exactly one reference, `Slot/{id}` as the Slot search and the bulk
  files name it (an absolute URL ending so is taken too);
- the patient as a contained Patient that a participant refers to
  (`"actor": {"reference": "#patient"}`), with a `name` (its `text`, else the
  given names and family) and a `telecom` phone or email, or both: the
  booking's contact, checked as the JSON API checks it;
- `status` `proposed`, `pending` or `booked`: the server books the seat or
  refuses, so the answer is `booked`.

It is `services.appointments.book`, the same call the JSON API makes: the
seat is taken under the site's lock, the site's limits hold (429 with
`Retry-After`), and `Idempotency-Key` makes a retry return the first booking
(`Idempotent-Replayed: true`). A full slot is a 409, a slot in the past,
inside the lead time or not of the derivation a 422, all as OperationOutcomes.
The answer is 201 with the Appointment, `Location` naming it, and the
patient's manage token in `X-Patient-Token`: with it the patient (or the app
that booked for them) reads, reschedules or cancels the booking, on the FHIR
read or the JSON API. A FHIR booking opts in to no messages; the patient
keeps the reference and the manage link the booking app shows.
"""

from __future__ import annotations

from datetime import datetime

from flask import Response, current_app, request
from marshmallow import ValidationError

from schedq.api import auth
from schedq.api.appointments.schemas import ContactSchema
from schedq.api.fhir.appointments import appointment_resource, read_appointment
from schedq.api.fhir.errors import FhirError
from schedq.api.fhir.negotiation import fhir_response
from schedq.api.fhir.resources import slot_key
from schedq.api.fhir.routes import resource
from schedq.api.idempotency import caller, idempotency_key
from schedq.api.language import chosen_language
from schedq.domain.errors import InvalidInput
from schedq.services import appointments as use
from schedq.web_context import client_address, counters, now, uow

BOOKABLE_STATUSES = frozenset({"proposed", "pending", "booked"})
PATIENT = "Appointment.contained[0]"


def create_appointment() -> Response:
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict) or body.get("resourceType") != "Appointment":
        raise FhirError(400, "the body must be an Appointment resource in JSON", code="structure")
    if body.get("status") not in BOOKABLE_STATUSES:
        raise FhirError(
            422, "status must be proposed, pending or booked", code="value", expression="Appointment.status"
        )
    site_id, service_code, starts_at = _slot(body)
    contact = _contact(body)
    try:
        booking = use.book(
            uow(),
            site_id=site_id,
            service_code=service_code,
            starts_at=starts_at,
            contact=contact,
            opt_ins=use.OptIns(language=chosen_language()),
            now=now(),
            secret_key=auth.secret_key(),
            idempotency_key=idempotency_key(),
            caller=caller(),
            client_address=client_address(),
            counters=counters(),
        )
    except InvalidInput as error:
        where = PATIENT if error.field.startswith("contact") else "Appointment.slot[0]"
        raise FhirError(422, f"{error.field}: {error.message}", code="value", expression=where) from None
    public_url = current_app.config["PUBLIC_URL"]
    appointment = booking.appointment
    answer = fhir_response(
        appointment_resource(appointment, public_url=public_url, language=chosen_language()), status=201
    )
    answer.headers["Location"] = f"{public_url.rstrip('/')}/fhir/Appointment/{appointment.reference}"
    answer.headers[auth.PATIENT_TOKEN_HEADER] = booking.manage_token
    if booking.replayed:
        answer.headers["Idempotent-Replayed"] = "true"
    return answer


def _slot(body: dict) -> tuple[int, str, datetime]:
    slots = body.get("slot")
    if not isinstance(slots, list) or len(slots) != 1 or not isinstance(slots[0], dict):
        raise FhirError(422, "name exactly one slot to book", code="required", expression="Appointment.slot")
    reference = str(slots[0].get("reference", ""))
    base, found, id_ = reference.rpartition("Slot/")  # `Slot/{id}`, or an absolute URL ending so
    key = slot_key(id_) if found and (not base or base.endswith("/")) else None
    if key is None:
        raise FhirError(
            422,
            "the slot must be a Slot of this server (Slot/site-…)",
            code="value",
            expression="Appointment.slot[0]",
        )
    return key


def _contact(body: dict) -> use.Contact:
    """The contained Patient a participant names: its name and first phone and email, checked like the JSON API's."""
    actors = {
        participant.get("actor", {}).get("reference")
        for participant in body.get("participant") or []
        if isinstance(participant, dict) and isinstance(participant.get("actor"), dict)
    }
    patients = [
        each
        for each in body.get("contained") or []
        if isinstance(each, dict) and each.get("resourceType") == "Patient" and f"#{each.get('id')}" in actors
    ]
    if not patients:
        raise FhirError(
            422,
            "the patient must be a contained Patient that a participant refers to (#id), with a name and a phone "
            "or email",
            code="required",
            expression="Appointment.participant",
        )
    patient = patients[0]
    telecom = [each for each in patient.get("telecom") or [] if isinstance(each, dict)]
    fields = {
        "name": _name(patient),
        "phone": next((t.get("value") for t in telecom if t.get("system") in ("phone", "sms")), None),
        "email": next((t.get("value") for t in telecom if t.get("system") == "email"), None),
    }
    try:
        checked = ContactSchema().load({key: value for key, value in fields.items() if value is not None})
    except ValidationError as error:
        problems = "; ".join(
            f"{field}: {' '.join(map(str, words))}" for field, words in error.normalized_messages().items()
        )
        raise FhirError(422, problems, code="value", expression=PATIENT) from None
    return use.Contact(checked["name"], checked.get("phone"), checked.get("email"))


def _name(patient: dict) -> str | None:
    names = [each for each in patient.get("name") or [] if isinstance(each, dict)]
    if not names:
        return None
    first = names[0]
    if first.get("text"):
        return str(first["text"])
    parts = [str(part) for part in [*(first.get("given") or []), first.get("family")] if part]
    return " ".join(parts) or None


resource(
    "Appointment",
    documentation="A booking, by its reference: for the patient with the manage token (X-Patient-Token "
    "header or token parameter) or for staff of its site (Authorization: Bearer). Create books a Slot "
    "(the patient as a contained Patient; the manage token comes back in X-Patient-Token).",
    read=read_appointment,
    create=create_appointment,
)
