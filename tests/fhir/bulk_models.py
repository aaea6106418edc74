"""Parsing what schedq emits with the fhir.resources R4B models, as an aggregator's validator would."""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B import get_fhir_model_class


def parsed(resource: dict[str, Any]):
    """The resource as its R4B model (raises when an element, code or type is wrong)."""
    model = get_fhir_model_class(resource["resourceType"])
    validate = getattr(model, "model_validate", None) or model.parse_obj
    return validate(resource)


def parsed_as(type_name: str, element: dict[str, Any]):
    """A data type (an Extension, say) parsed with its R4B model."""
    model = get_fhir_model_class(type_name)
    validate = getattr(model, "model_validate", None) or model.parse_obj
    return validate(element)
