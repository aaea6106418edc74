"""POST /sms/inbound: texts patients send to the site's number, as the SMS provider posts them.

Twilio (and providers that copy it) post each inbound text as a form signed
with `X-Twilio-Signature` under the account's auth token; an unsigned or
wrongly signed post is refused (403) before anything is read. STOP and its
synonyms opt the sender's number out of SMS, START and UNSTOP back in
(README: "Channels"); other texts are not read. The answer is empty TwiML:
schedq sends no reply of its own (the provider confirms opt-outs itself).
"""

from __future__ import annotations

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from schedq.api.errors import ErrorSchema
from schedq.api.sms.schemas import InboundSmsSchema
from schedq.notify.channels.sms import valid_twilio_signature
from schedq.notify.settings import sms_settings
from schedq.services import opt_outs
from schedq.web_context import now, uow

blp = Blueprint(
    "sms", __name__, description="Texts patients send to the site's number (the SMS provider's webhook)"
)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
SIGNATURE_HEADER = "X-Twilio-Signature"


@blp.before_request
def _signed_by_the_provider() -> None:
    """Refuse a post the configured provider did not sign, before its fields are read."""
    settings = sms_settings(current_app.config)
    if settings is None:
        abort(404, message="SMS is not configured on this deployment")
    url = current_app.config.get("SMS_INBOUND_URL") or request.url
    params = list(request.form.items(multi=True))
    if not valid_twilio_signature(settings.auth_token, url, params, request.headers.get(SIGNATURE_HEADER)):
        abort(403, message=f"{SIGNATURE_HEADER} does not match this request")


@blp.route("/sms/inbound")
class InboundSms(MethodView):
    @blp.arguments(InboundSmsSchema, location="form")
    @blp.response(200, content_type="text/xml")
    @blp.alt_response(
        403,
        schema=ErrorSchema,
        description=f"missing or wrong `{SIGNATURE_HEADER}` (the provider's signature)",
    )
    @blp.alt_response(404, schema=ErrorSchema, description="SMS is not configured on this deployment")
    @blp.doc(
        responses={
            "200": {
                "description": "empty TwiML: nothing is sent back",
                "content": {"text/xml": {"schema": {"type": "string"}, "example": EMPTY_TWIML}},
            }
        },
        parameters=[
            {
                "in": "header",
                "name": SIGNATURE_HEADER,
                "required": True,
                "schema": {"type": "string"},
                "description": "base64 HMAC-SHA1 of the URL and the sorted form fields under the auth token",
            }
        ],
    )
    def post(self, form):
        """An inbound text: STOP (UNSUBSCRIBE, CANCEL, END, QUIT, STOPALL) opts the number out of SMS, START or UNSTOP back in"""
        opt_outs.answer_inbound_sms(uow(), phone=form["From"], body=form["Body"], now=now())
        return Response(EMPTY_TWIML, status=200, content_type="text/xml")
