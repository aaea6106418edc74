"""FHIR R4 and SMART Scheduling Links: a mapping layer over schedq's own services (README: "FHIR and SMART
Scheduling Links").

`mapping` turns sites, catalogue services and the slots of the one slot derivation
(`services.appointments`, `domain.schedule`) into FHIR resources as plain dicts;
`publication` (bulk NDJSON files and their `$bulk-publish` manifest) and the /fhir
read API both build on it. Nothing here keeps slots of its own.
"""
