"""FHIR R4 over schedq's own services (README: "FHIR and SMART Scheduling Links").

`routes`: the read API under /fhir (CapabilityStatement, reads, searches,
OperationOutcome errors), its resources registered by `resources` and
`appointments`.
"""
