"""Tables. Instants are UTC (`UtcDateTime`); local wall times are `Time` in the site's zone."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Enum,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    false,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from schedq.catalogues import localized
from schedq.db.base import Base
from schedq.domain.enums import (
    AppointmentStatus,
    DisplayAnnounce,
    Role,
    StationState,
    TicketKind,
    TicketStatus,
)


def _enum(kind: type) -> Enum:
    return Enum(
        kind,
        native_enum=False,
        length=16,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


DISPLAY_LANGUAGES = ("en", "es")
"""A site's display languages until its admin sets them."""
DISPLAY_LANGUAGES_SQL = '["en", "es"]'


class Site(Base):
    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(300), default="")
    timezone: Mapped[str] = mapped_column(String(64))
    grace_minutes: Mapped[int] = mapped_column(default=15)
    walk_in_cutoff_minutes: Mapped[int] = mapped_column(default=30)
    sla_minutes: Mapped[int] = mapped_column(default=20)
    sla_percent: Mapped[int] = mapped_column(default=90)
    slot_minutes: Mapped[int] = mapped_column(default=15)
    booking_horizon_days: Mapped[int] = mapped_column(default=30)
    min_lead_minutes: Mapped[int] = mapped_column(default=60)
    no_show_after_minutes: Mapped[int] = mapped_column(default=10)
    # Walk-ins may join during a midday closure, their wait counted from reopening (README).
    walk_ins_during_closure: Mapped[bool] = mapped_column(default=False, server_default=false())
    # ISO 3166 region for phone numbers written without a country code (README: contacts).
    country: Mapped[str] = mapped_column(String(2), default="US", server_default="US")
    # How patients reach and find the site (README: the patient's pages): E.164 phone, WGS 84 position.
    phone: Mapped[str | None] = mapped_column(String(20), default=None)
    latitude: Mapped[float | None] = mapped_column(default=None)
    longitude: Mapped[float | None] = mapped_column(default=None)
    # The region a chain groups the site in, for reports across sites (README: "Reports"); None: none.
    region: Mapped[str | None] = mapped_column(String(80), default=None)
    # The state or province the site is in (ISO 3166-2 code without the country: "MA"), for the
    # per-state files of the bulk publication and the Location's address (README: "FHIR and SMART
    # Scheduling Links"); None: not given.
    state: Mapped[str | None] = mapped_column(String(3), default=None)
    # The site's own senders of messages (README: "Channels"); unset: the deployment's.
    email_from: Mapped[str | None] = mapped_column(String(254), default=None)
    sms_from: Mapped[str | None] = mapped_column(String(40), default=None)
    # Limits on anonymous writes (README: limits): per contact at any site, per client address here.
    bookings_per_contact_per_day: Mapped[int] = mapped_column(default=3, server_default="3")
    bookings_per_address_per_hour: Mapped[int] = mapped_column(default=10, server_default="10")
    remote_joins_per_contact_per_day: Mapped[int] = mapped_column(default=2, server_default="2")
    remote_joins_per_address_per_hour: Mapped[int] = mapped_column(default=10, server_default="10")
    # No reminder or rating request is delivered between these local times (README: "Notifications").
    quiet_hours_start: Mapped[time | None] = mapped_column(default=None)
    quiet_hours_end: Mapped[time | None] = mapped_column(default=None)
    # Local hour of the day before an appointment when its reminder is sent (README: "Notifications").
    reminder_hour: Mapped[int] = mapped_column(default=18, server_default="18")
    # A patient is told their turn is near once this many or fewer are ahead of them, them included (README).
    near_turn_position: Mapped[int] = mapped_column(default=3, server_default="3")
    # The lobby display (README: "The lobby display"): its languages, one line each, and what it does on a call.
    display_languages: Mapped[list[str]] = mapped_column(
        JSON, default=lambda: list(DISPLAY_LANGUAGES), server_default=DISPLAY_LANGUAGES_SQL
    )
    display_announce: Mapped[DisplayAnnounce] = mapped_column(
        _enum(DisplayAnnounce), default=DisplayAnnounce.OFF, server_default=DisplayAnnounce.OFF.value
    )
    created_at: Mapped[datetime]
    # Bumped in the same transaction as every change that can move a wait
    # estimate (tickets, stations, bookings, hours, plan): a cache key.
    state_version: Mapped[int] = mapped_column(default=0, server_default="0")

    hours: Mapped[list[OpeningHours]] = relationship(
        cascade="all, delete-orphan",
        order_by="(OpeningHours.weekday, OpeningHours.opens)",
        lazy="selectin",
    )
    closures: Mapped[list[Closure]] = relationship(
        cascade="all, delete-orphan", order_by="Closure.day", lazy="selectin"
    )
    capacity_blocks: Mapped[list[CapacityBlock]] = relationship(
        cascade="all, delete-orphan",
        order_by="(CapacityBlock.weekday, CapacityBlock.starts)",
        lazy="selectin",
    )
    stations: Mapped[list[Station]] = relationship(
        back_populates="site", cascade="all, delete-orphan", order_by="Station.id", lazy="selectin"
    )

    __table_args__ = (
        CheckConstraint("grace_minutes >= 0", name="grace_non_negative"),
        CheckConstraint("slot_minutes > 0", name="slot_positive"),
    )


class OpeningHours(Base):
    """One opening interval on a weekday (0 = Monday), local wall time."""

    __tablename__ = "opening_hours"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int]
    opens: Mapped[time]
    closes: Mapped[time]


class Closure(Base):
    __tablename__ = "closures"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    day: Mapped[date]
    reason: Mapped[str] = mapped_column(String(200), default="")

    __table_args__ = (UniqueConstraint("site_id", "day"),)


class CapacityBlock(Base):
    """Planned stations and appointment seats per slot for a stretch of a weekday."""

    __tablename__ = "capacity_blocks"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int]
    starts: Mapped[time]
    ends: Mapped[time]
    stations: Mapped[int]
    seats_per_slot: Mapped[int]

    __table_args__ = (
        CheckConstraint("stations > 0", name="stations_positive"),
        CheckConstraint("seats_per_slot >= 0", name="seats_non_negative"),
    )


class Service(Base):
    __tablename__ = "services"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    preparation: Mapped[str] = mapped_column(Text, default="")
    default_minutes: Mapped[float]
    bookable: Mapped[bool] = mapped_column(default=True)
    walk_in_allowed: Mapped[bool] = mapped_column(default=True)
    # The name and preparation in other languages: {"es": {"name": …, "preparation": …}} (README: Languages).
    translations: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON, default=dict, server_default="{}")

    def name_in(self, language: str) -> str:
        return localized(self.name, self.translations, "name", language)

    def preparation_in(self, language: str) -> str:
        return localized(self.preparation, self.translations, "preparation", language)


station_skills = Table(
    "station_skills",
    Base.metadata,
    Column("station_id", ForeignKey("stations.id", ondelete="CASCADE"), primary_key=True),
    Column("service_id", ForeignKey("services.id", ondelete="CASCADE"), primary_key=True),
)


class Station(Base):
    __tablename__ = "stations"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(60))
    state: Mapped[StationState] = mapped_column(_enum(StationState), default=StationState.CLOSED)
    state_changed_at: Mapped[datetime | None]
    # The name in other languages: {"es": {"name": "Estación 1"}} (README: Languages).
    translations: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON, default=dict, server_default="{}")

    site: Mapped[Site] = relationship(back_populates="stations")
    services: Mapped[list[Service]] = relationship(
        secondary=station_skills, order_by="Service.code", lazy="selectin"
    )

    __table_args__ = (UniqueConstraint("site_id", "name"),)

    @property
    def skills(self) -> frozenset[str]:
        return frozenset(s.code for s in self.services)

    def name_in(self, language: str) -> str:
        return localized(self.name, self.translations, "name", language)


class Appointment(Base):
    __tablename__ = "appointments"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    token_nonce: Mapped[str] = mapped_column(String(32))
    starts_at: Mapped[datetime]
    status: Mapped[AppointmentStatus] = mapped_column(
        _enum(AppointmentStatus), default=AppointmentStatus.BOOKED
    )
    contact_name: Mapped[str] = mapped_column(String(120))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    # The patient's consent to text and email messages about this booking (README: "Notifications").
    notify_sms: Mapped[bool] = mapped_column(default=False, server_default=false())
    notify_email: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The language of the patient's messages (README: "Notifications").
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    # Why the patient cancelled, as they gave it (README: "Appointments"); shown to staff.
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    site: Mapped[Site] = relationship(lazy="selectin")
    service: Mapped[Service] = relationship(lazy="selectin")

    __table_args__ = (
        Index("ix_appointments_site_starts", "site_id", "starts_at"),
        Index("ix_appointments_contact_phone", "contact_phone"),
        Index("ix_appointments_contact_email", "contact_email"),
    )


class IdempotencyRecord(Base):
    """The first answer to a retried write, replayed for the same key."""

    __tablename__ = "idempotency_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(128))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("scope", "key"),)


api_token_sites = Table(
    "api_token_sites",
    Base.metadata,
    Column("token_id", ForeignKey("api_tokens.id", ondelete="CASCADE"), primary_key=True),
    Column("site_id", ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(_enum(Role))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    sites: Mapped[list[Site]] = relationship(secondary=api_token_sites, order_by="Site.id", lazy="selectin")


class TicketCounter(Base):
    """Last display number handed out per site, local day and code prefix."""

    __tablename__ = "ticket_counters"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True)
    service_day: Mapped[date] = mapped_column(primary_key=True)
    prefix: Mapped[str] = mapped_column(String(2), primary_key=True)
    last_number: Mapped[int]


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    service_day: Mapped[date]
    code: Mapped[str] = mapped_column(String(8))
    token_nonce: Mapped[str] = mapped_column(String(32))
    kind: Mapped[TicketKind] = mapped_column(_enum(TicketKind))
    status: Mapped[TicketStatus] = mapped_column(_enum(TicketStatus), default=TicketStatus.WAITING)
    priority: Mapped[bool] = mapped_column(default=False)
    present: Mapped[bool] = mapped_column(default=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"), unique=True)
    # Policy inputs: when it joined the line, and the appointment time it keeps
    # (None when checked in beyond the grace minutes: it then queues as a walk-in).
    joined_at: Mapped[datetime]
    policy_appointment_at: Mapped[datetime | None]
    expected_arrival_at: Mapped[datetime | None]
    contact_name: Mapped[str | None] = mapped_column(String(120))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    # A remote ticket's consent to text and email messages, and their language (README: "Notifications").
    notify_sms: Mapped[bool] = mapped_column(default=False, server_default=false())
    notify_email: Mapped[bool] = mapped_column(default=False, server_default=false())
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id"))
    called_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(200))
    call_count: Mapped[int] = mapped_column(default=0)
    # The range promised when the ticket joined, and the wait that came true.
    promised_p10_minutes: Mapped[float | None]
    promised_p50_minutes: Mapped[float | None]
    promised_p90_minutes: Mapped[float | None]
    promised_mean_minutes: Mapped[float | None]
    actual_wait_minutes: Mapped[float | None]

    service: Mapped[Service] = relationship(lazy="selectin")
    station: Mapped[Station | None] = relationship(lazy="selectin")
    appointment: Mapped[Appointment | None] = relationship(lazy="selectin")

    __table_args__ = (
        UniqueConstraint("site_id", "service_day", "code"),
        Index("ix_tickets_site_status", "site_id", "status"),
        Index("ix_tickets_contact_phone", "contact_phone"),
        Index("ix_tickets_contact_email", "contact_email"),
    )


class VisitEvent(Base):
    """Append-only record of every state change: the audit trail and the estimator's history."""

    __tablename__ = "visit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id"))
    at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(120))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __table_args__ = (
        Index("ix_visit_events_site_at", "site_id", "at"),
        Index("ix_visit_events_ticket", "ticket_id"),
    )


class Feedback(Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    rating: Mapped[int]
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]

    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),)


class SiteDay(Base):
    """A site's local day closed out by staff."""

    __tablename__ = "site_days"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True)
    service_day: Mapped[date] = mapped_column(primary_key=True)
    closed_at: Mapped[datetime]
    closed_by: Mapped[str] = mapped_column(String(120))


class EstimatorModelRecord(Base):
    """The wait model last fitted from a site's own history."""

    __tablename__ = "estimator_models"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True)
    fitted_at: Mapped[datetime]
    visit_count: Mapped[int]
    model: Mapped[dict[str, Any]] = mapped_column(JSON)


# Every flush that changes what an estimate depends on (the site status included) bumps its site's state_version.
_VERSIONED = (Ticket, Appointment, Station, OpeningHours, Closure, CapacityBlock, SiteDay)


@event.listens_for(Session, "before_flush")
def _bump_state_versions(session: Session, _context, _instances) -> None:
    changed = [*session.new, *session.dirty, *session.deleted]
    sites = {obj for obj in changed if isinstance(obj, Site) and obj in session.dirty}
    site_ids = set()
    for obj in changed:
        if isinstance(obj, _VERSIONED):
            if obj.site_id is not None:
                site_ids.add(obj.site_id)
            elif isinstance(getattr(obj, "site", None), Site):  # attached through the relationship
                sites.add(obj.site)
    with session.no_autoflush:
        loaded = (session.get(Site, site_id) for site_id in site_ids)
        sites.update(site for site in loaded if site is not None)
    for site in sites:
        if site not in session.deleted:
            site.state_version = (site.state_version or 0) + 1


class SharedEstimate(Base):
    """A site's latest result of one kind of estimate, shared by every worker, and its single-flight lease.

    See `schedq.services.estimate_store`. `state_key` names the state the payload
    answers for; `lease_key` the state a worker is computing now, until
    `lease_expires_at` (wall-clock time).
    """

    __tablename__ = "shared_estimates"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), primary_key=True)
    state_key: Mapped[str | None] = mapped_column(String(200))
    computed_at: Mapped[datetime | None]
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    lease_key: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None]


class RateCounter(Base):
    """Hits of one rate-limit key in one fixed window, shared by every worker (`services.rate_limits`)."""

    __tablename__ = "rate_counters"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(primary_key=True)
    window_end: Mapped[datetime] = mapped_column(index=True)
    hits: Mapped[int]


class NotificationOptOut(Base):
    """A phone number or email address that asked for no more messages on one channel (`services.opt_outs`).

    Kept as the contact is kept (E.164, lower-cased email), not per booking or
    ticket: a STOP answers every message to that number, now and later.
    """

    __tablename__ = "notification_opt_outs"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    address: Mapped[str] = mapped_column(String(320), primary_key=True)
    at: Mapped[datetime]


# Notifications (README: "Notifications"; `schedq.notify`) ------------------------------------------


class WebhookEndpoint(Base):
    """Where a site's systems hear of its changes; the signing secret stays in the named environment variable."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(500))
    secret_env: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("site_id", "url"),)


class NotifyEvent(Base):
    """One change patients or site systems hear of, written in the change's own transaction."""

    __tablename__ = "notify_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)
    """What the patient's messages may say (`notify.facts`)."""
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    """What a site's systems are told by webhook: the ticket's or appointment's state, no personal data."""
    created_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_notify_events_ticket", "ticket_id"),
        Index("ix_notify_events_appointment", "appointment_id"),
    )


class Delivery(Base):
    """The outbox: one event to one recipient through one channel, with the key every try sends."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("notify_events.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(500))
    language: Mapped[str] = mapped_column(String(8), default="en")
    endpoint_id: Mapped[int | None] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="SET NULL"))
    key: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(default=0)
    due_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    provider_id: Mapped[str | None] = mapped_column(String(200))
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]

    event: Mapped[NotifyEvent] = relationship(lazy="selectin")

    __table_args__ = (
        Index("ix_deliveries_status_due", "status", "due_at"),
        # Whether a number was texted lately (an SMS then says how to opt out: `notify.delivery`).
        Index("ix_deliveries_recipient_sent", "recipient", "sent_at"),
    )


class DeliveryAttempt(Base):
    """The delivery log: one row per try, its outcome written when the try ends (none yet: in flight)."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    channel: Mapped[str] = mapped_column(String(16))
    worker: Mapped[str] = mapped_column(String(120))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(String(500))


class LoggedMessage(Base):
    """The log sink: messages delivered through the LOG channel (nothing configured), for the demo's page."""

    __tablename__ = "logged_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str | None] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    attachments: Mapped[list[str]] = mapped_column(JSON)
    at: Mapped[datetime]
