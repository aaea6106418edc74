"""`GET /fhir/Appointment/{reference}`: a booking as a FHIR Appointment, for its patient or the site's staff.

Who may read it is the JSON API's rule (README: "Access"): the patient with the
manage token from the booking (`X-Patient-Token` header or `token` parameter;
a wrong token is a 404, as for an unknown reference, so the API is no oracle of
references), or a staff or admin API token of the appointment's site
(`Authorization: Bearer`; another site's token is a 403). Without either: 401.

The Appointment's id is the booking's reference (`K7MQ-4XT9`). Statuses:

| schedq | FHIR |
|---|---|
| booked | booked |
| checked_in, called, in_service | arrived |
| done | fulfilled |
| cancelled | cancelled |
| no_show | noshow |
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from flask import current_app, request

from schedq.api import auth
from schedq.api.fhir.errors import FhirError
from schedq.api.fhir.negotiation import check_parameters
from schedq.api.language import chosen_language
from schedq.db.models import Appointment
from schedq.domain.enums import AppointmentStatus
from schedq.fhir import mapping
from schedq.services import appointments as use
from schedq.web_context import uow

STATUS = {
    AppointmentStatus.BOOKED: "booked",
    AppointmentStatus.CHECKED_IN: "arrived",
    AppointmentStatus.CALLED: "arrived",
    AppointmentStatus.IN_SERVICE: "arrived",
    AppointmentStatus.DONE: "fulfilled",
    AppointmentStatus.CANCELLED: "cancelled",
    AppointmentStatus.NO_SHOW: "noshow",
}
REFERENCE = re.compile(r"[A-Za-z0-9-]{1,16}")
"""A reference as the JSON API takes it in a path; anything else is no appointment."""
READ_PARAMETERS = frozenset({"token", "lang"})


def reference_system(public_url: str) -> str:
    """The identifier system of booking references (the code a patient reads out at the desk)."""
    return mapping.fhir_base(public_url) + "/NamingSystem/appointment-reference"


def read_appointment(id_: str) -> dict:
    check_parameters(READ_PARAMETERS)
    if not REFERENCE.fullmatch(id_):
        raise FhirError(404, "no appointment with that id")
    principal = auth.current_principal()
    token = request.headers.get(auth.PATIENT_TOKEN_HEADER) or request.args.get("token", "")
    public_url = current_app.config["PUBLIC_URL"]
    if principal is not None:
        unit = uow(write=False)
        with unit:
            appointment = use.find_appointment(unit, id_)
            if not principal.may_staff(appointment.site_id):
                raise FhirError(403, "this needs a staff token for this appointment's site")
            return appointment_resource(appointment, public_url=public_url, language=chosen_language())
    if not token:
        raise FhirError(
            401,
            "the patient's manage token (X-Patient-Token header or token parameter) or a staff API token "
            "is required",
            headers={"WWW-Authenticate": "Bearer"},
        )
    appointment = use.get_own_appointment(
        uow(write=False), reference=id_, token=token, secret_key=auth.secret_key()
    )
    return appointment_resource(appointment, public_url=public_url, language=chosen_language())


def appointment_resource(appointment: Appointment, *, public_url: str, language: str) -> dict:
    """The booking as an R4 Appointment: when, where, for what, how to prepare, and its status."""
    site, service = appointment.site, appointment.service
    starts_at: datetime = appointment.starts_at
    ends_at = starts_at + timedelta(minutes=site.slot_minutes)
    status = STATUS[appointment.status]
    resource: dict = {
        "resourceType": "Appointment",
        "id": appointment.reference,
        "meta": {"lastUpdated": mapping.instant(appointment.updated_at)},
        "identifier": [{"system": reference_system(public_url), "value": appointment.reference}],
        "status": status,
    }
    if appointment.status is AppointmentStatus.CANCELLED and appointment.cancel_reason:
        resource["cancelationReason"] = {"text": appointment.cancel_reason}
    name = service.name_in(language)
    resource["serviceType"] = [
        {"coding": [mapping.service_coding(service, public_url)], "text": name},
    ]
    resource["description"] = name
    resource["start"] = mapping.local_instant(starts_at, site.timezone)
    resource["end"] = mapping.local_instant(ends_at, site.timezone)
    resource["minutesDuration"] = site.slot_minutes
    resource["slot"] = [{"reference": f"Slot/{mapping.slot_id(site.id, service.code, starts_at)}"}]
    resource["created"] = mapping.instant(appointment.created_at)
    preparation = service.preparation_in(language)
    if preparation:
        resource["patientInstruction"] = preparation
    taking_part = "declined" if status == "cancelled" else "accepted"
    resource["participant"] = [
        {
            "actor": {"reference": f"Location/{mapping.location_id(site.id)}", "display": site.name},
            "required": "required",
            "status": "accepted",
        },
        {"actor": {"display": appointment.contact_name}, "required": "required", "status": taking_part},
    ]
    return resource
