"""The stored model: items, their facts, events, parties, findings, loans, the profile and custody log.

Typed SQLAlchemy 2 declarative models on one metadata with a naming convention, kept portable
(no SQLite-only types) so a clinic can run the same schema on PostgreSQL. The schema itself
is created only by the alembic migrations in `migrations/`; `alembic check` in the tests
keeps these models and the migrations in step.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; stored as naive UTC (SQLite has no zones)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


class Item(Base):
    """One original file exactly as received; its bytes live sealed in the vault."""

    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    object_name: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text)  # the file name as received (no folder)
    kind: Mapped[str] = mapped_column(String(16))  # audio, image, video, export, document
    media_type: Mapped[str] = mapped_column(String(64))
    export_format: Mapped[str | None] = mapped_column(String(32))
    added_at: Mapped[datetime]
    # The chosen values; every claim with its source is in item_facts.
    captured_at: Mapped[datetime | None]
    captured_tz_assumed: Mapped[bool] = mapped_column(Boolean, default=False)
    number: Mapped[str | None] = mapped_column(String(32), index=True)
    contact: Mapped[str | None] = mapped_column(Text)
    duration: Mapped[float | None] = mapped_column(Float)

    facts: Mapped[list[ItemFact]] = relationship(back_populates="item", order_by="ItemFact.id")


class ItemFact(Base):
    """One claim about an item and where it came from; conflicting claims are all kept."""

    __tablename__ = "item_facts"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    fact: Mapped[str] = mapped_column(String(32))  # captured_at, number, contact, duration, size, ...
    value: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(32))  # filename, exif, container, file_time, user
    detail: Mapped[str | None] = mapped_column(Text)  # e.g. the file-name convention

    item: Mapped[Item] = relationship(back_populates="facts")


class Event(Base):
    """One dated act of contact derived from an item (or declared by the user)."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    dedupe_key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str | None] = mapped_column(String(8))
    raw_number: Mapped[str | None] = mapped_column(Text)
    number: Mapped[str | None] = mapped_column(String(32), index=True)
    number_class: Mapped[str] = mapped_column(String(16))
    contact: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime]
    tz_assumed: Mapped[bool] = mapped_column(Boolean, default=False)
    duration: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str | None] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)
    declared: Mapped[bool] = mapped_column(Boolean, default=False)
    other_numbers: Mapped[list[Any] | None]

    # Time order, and counts per day and kind from the index alone (evidence.events.day_counts).
    __table_args__ = (Index("ix_events_at_kind", "at", "kind"),)


class Party(Base):
    """A lender or collector: the numbers, SMS signatures and app names that belong to it."""

    __tablename__ = "parties"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    created_at: Mapped[datetime]
    lender_type: Mapped[str | None] = mapped_column(String(32))
    # Who the party is in law, for the authorities that need an identified respondent (12315 and
    # NIFA want the company's name and address): as the user found them, e.g. in the contract,
    # the app's 关于我们 page or a genuine 12368 court message.
    legal_name: Mapped[str | None] = mapped_column(Text)
    credit_code: Mapped[str | None] = mapped_column(Text)  # 统一社会信用代码, checked
    address: Mapped[str | None] = mapped_column(Text)
    app_name: Mapped[str | None] = mapped_column(Text)
    contract: Mapped[str | None] = mapped_column(Text)  # contract number, date, amount: as written

    numbers: Mapped[list[PartyNumber]] = relationship(cascade="all, delete-orphan", order_by="PartyNumber.id")
    signatures: Mapped[list[PartySignature]] = relationship(
        cascade="all, delete-orphan", order_by="PartySignature.id"
    )
    loan_refs: Mapped[list[PartyLoanRef]] = relationship(
        cascade="all, delete-orphan", order_by="PartyLoanRef.id"
    )


class PartyNumber(Base):
    __tablename__ = "party_numbers"
    __table_args__ = (UniqueConstraint("number", name="uq_party_numbers_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    number: Mapped[str] = mapped_column(String(32))


class PartySignature(Base):
    __tablename__ = "party_signatures"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    signature: Mapped[str] = mapped_column(Text)


class PartyLoanRef(Base):
    """A loan or contract reference the user recorded for a party; its messages may quote it."""

    __tablename__ = "party_loan_refs"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    reference: Mapped[str] = mapped_column(Text)


class PartyLink(Base):
    """Why a number is (or is not) attributed to a party (evidence.attribution).

    Derived data, recomputed from the declarations and the events whenever either changes
    (so not in the custody log): source "user" (declared with `locker party add`) or
    "messages" (the number's own incoming messages); `linked` says whether the number is
    attributed, `hold` why a candidate is not (ambiguous, declared-elsewhere, contact,
    official); `reasons` are [{"kind", "value", "events": [event ids]}].
    """

    __tablename__ = "party_links"
    __table_args__ = (UniqueConstraint("number", "party_id", name="uq_party_links_number_party_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    source: Mapped[str] = mapped_column(String(16))
    linked: Mapped[bool] = mapped_column(Boolean)
    hold: Mapped[str | None] = mapped_column(String(32))
    reasons: Mapped[list[Any]]


# A finding someone decided on, or one the statistical model raised (evidence.findings.SUGGESTION):
# written out once, as SQL, for the partial index and the query that must name it the same way.
NOT_PLAIN_AUTO = "status != 'auto' OR strength = 'suggestion'"


class Finding(Base):
    """A violation found by a rule; the key is stable so the user's decision survives re-runs."""

    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    category: Mapped[int] = mapped_column(Integer)
    rule: Mapped[str] = mapped_column(String(64))
    rule_version: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime]
    numbers: Mapped[list[Any]]
    party: Mapped[str | None] = mapped_column(Text)
    events: Mapped[list[Any]]
    explanation: Mapped[str] = mapped_column(Text)
    strength: Mapped[str] = mapped_column(String(16))
    level: Mapped[str | None] = mapped_column(String(32))
    instruments: Mapped[list[Any]]
    status: Mapped[str] = mapped_column(String(16), default="auto")  # auto, confirmed, dismissed
    why: Mapped[str | None] = mapped_column(Text)
    current: Mapped[bool] = mapped_column(Boolean, default=True)  # produced by the latest rule run
    updated_at: Mapped[datetime]

    # A category's current findings in time order, a page at a time, and the counts per category
    # and status, all from the index alone (evidence.finding_pages). Partial: only current rows,
    # so a count reads no entry it then drops (SQLite uses it where a query says `current IS 1`,
    # as SQLAlchemy writes `Finding.current.is_(True)`).
    __table_args__ = (
        Index(
            "ix_findings_listed",
            "category",
            "at",
            "strength",
            "status",
            sqlite_where=text("current IS 1"),
            postgresql_where=text("current IS true"),
        ),
        # The few current findings that are not simply "auto" (decided, or the model's
        # suggestions): their counts by status come from this small index, the rest by category
        # from the one above, so no count evaluates a condition on every row.
        Index(
            "ix_findings_decided",
            "category",
            "status",
            "strength",
            sqlite_where=text(f"current IS 1 AND ({NOT_PLAIN_AUTO})"),
            postgresql_where=text(f"current IS true AND ({NOT_PLAIN_AUTO})"),
        ),
    )


class Loan(Base):
    """A loan's terms as the user declared them, for the fee and interest rules (category 10)."""

    __tablename__ = "loans"

    id: Mapped[int] = mapped_column(primary_key=True)
    party: Mapped[str] = mapped_column(Text)
    principal: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    received: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    start: Mapped[str] = mapped_column(String(10))  # ISO date
    schedule: Mapped[list[Any]]  # [[iso date, amount], ...]
    lender_type: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]


class ProfileField(Base):
    """The complainant's details (name, id number, phone, address): personal data, kept encrypted."""

    __tablename__ = "profile"

    field: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Setting(Base):
    """Locker settings that travel with the locker (timezone, ...)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class CustodyEntry(Base):
    """Append-only, hash-chained record of everything done to the locker (DESIGN decision 5)."""

    __tablename__ = "custody"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
