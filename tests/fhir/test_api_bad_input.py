"""Made-up ids, parameters and headers never make the FHIR API answer a 5xx or anything but FHIR JSON.

The FHIR API is outside the OpenAPI document, so tests/test_api_fuzz.py does not
reach it: these generate its inputs instead.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    derandomize=True,
)
TYPES = ["Location", "HealthcareService", "Schedule", "Slot", "Appointment", "Patient", "metadata"]
PARAMETERS = [
    "schedule",
    "start",
    "status",
    "service-type",
    "_count",
    "_id",
    "actor",
    "_page_after",
    "_page_before",
    "_format",
    "token",
    "lang",
    "x",
]
text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
value = st.one_of(
    text,
    st.sampled_from(
        [
            "Schedule/site-1-DRAW",
            "site-1-DRAW",
            "ge2026-03-03",
            "lt2099-12-31T23:59:59Z",
            "free",
            "0",
            "99999999999",
            "site-1",
            "json",
            "xml",
            "Location/site-1",
            "2026-03-03T09:00",
        ]
    ),
)


def fhir_answer(answer) -> None:
    assert answer.status_code < 500, answer.get_data(as_text=True)
    assert answer.mimetype in {"application/fhir+json", "application/json"}
    body = answer.json
    if answer.status_code >= 400:
        assert body["resourceType"] == "OperationOutcome"


@FUZZ
@given(type_=st.sampled_from(TYPES), id_=text)
def test_any_id_is_a_fhir_answer(client, site, type_, id_):
    fhir_answer(client.get(f"/fhir/{type_}/{quote(id_, safe='')}"))


@FUZZ
@given(
    type_=st.sampled_from(TYPES),
    query=st.lists(st.tuples(st.sampled_from(PARAMETERS), value), max_size=5),
    strict=st.booleans(),
)
def test_any_search_is_a_fhir_answer(client, site, type_, query, strict):
    headers = {"Prefer": "handling=strict"} if strict else {}
    fhir_answer(client.get(f"/fhir/{type_}?{urlencode(query)}", headers=headers))


@FUZZ
@given(
    method=st.sampled_from(["POST", "PUT", "PATCH", "DELETE"]),
    type_=st.sampled_from(TYPES),
    body=st.binary(max_size=60),
)
def test_any_write_is_a_fhir_answer(client, site, method, type_, body):
    answer = client.open(
        f"/fhir/{type_}", method=method, data=body, headers={"Content-Type": "application/fhir+json"}
    )
    fhir_answer(answer)
    # 400 and 422: a body the input rules refuse before routing (README: "Input rules").
    assert answer.status_code in {400, 404, 405, 422}


@FUZZ
@given(accept=text, authorization=text, token=text)
def test_any_header_is_a_fhir_answer(client, site, accept, authorization, token):
    headers = {"Accept": accept, "Authorization": authorization, "X-Patient-Token": token}
    try:
        answer = client.get("/fhir/Appointment/ABCD-EFGH", headers=headers)
    except ValueError:
        return  # a header value the test client itself refuses to send (a line break)
    fhir_answer(answer)
