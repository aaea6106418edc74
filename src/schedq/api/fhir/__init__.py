"""FHIR R4 over schedq's own services (README: "FHIR and SMART Scheduling Links").

`routes`: the API under /fhir (CapabilityStatement, reads, searches, booking,
OperationOutcome errors), its resources registered by `resources` and
`booking` (the Appointment: read in `appointments`, create in `booking`).
"""
