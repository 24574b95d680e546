"""One schema per event kind, checked wherever an event crosses a boundary.

An event's payload is checked by the seat that writes it (``Transaction.append``), by the city
server that stores it (``protocol.check_event``; listed in the 422 ``invalid_events`` answer
when it fails) and again by every seat that pulls it (set aside, never applied). So
one seat's bug or a hostile token cannot put a payload into a county's stream that stops
another seat: every field has a type and a bound, numbers are finite, references are shaped
like ids, enumerations are closed, and a field no schema names is refused at any depth.

The schemas are msgspec ``Struct`` types (validation in C, a few microseconds an event);
``msgspec.json.schema_components`` turns the same types into the JSON Schema the server's
OpenAPI description publishes (``central/openapi.py``), so the description cannot drift from
the check. The payload is validated, never rebuilt: the dict the seat wrote is what travels.

Adding an event kind: write its ``@applier`` in ``console/store/projections/<domain>.py`` and its payload type
here (``PAYLOADS``); tests/test_hostile_seat.py fails for a kind without one.
"""

from collections.abc import Callable
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct

from console.kernel.model import Area, Disposition, OrderStatus
from console.kernel.vocab import IncidentType, Level

UUID7 = r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
# The one text form of an instant (console.kernel.clock.iso): UTC, milliseconds.
# A UTC instant with milliseconds, as every event carries them. The pattern is as near the
# calendar as a pattern gets (months and their days, hours to 23; only 29 February of a year
# that is not a leap year slips through, and parse_instant refuses that one), so the
# OpenAPI description tells a client what the server really takes.
INSTANT_BODY = (r"20\d\d-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)"
                r"|02-(?:0[1-9]|1\d|2[0-9]))T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z")
INSTANT = f"^{INSTANT_BODY}$"

# Stated limits (characters): the bounds every seat and the server hold a payload to. Typed
# input over them is refused with the limit (console/inputs.bounded), never cut.
MAX_CODE = 64          # unit, category, kind and other codes
MAX_NAME = 100         # a caller's or a duty person's name
MAX_PHONE = 40
MAX_ADDRESS = 500
MAX_TEXT = 4000        # a call's account, a note
MAX_REASON = 1000      # reasons, short notes, whom a report went to
MAX_BODY = 20_000      # a report upward's body
MAX_REGISTRY = 240 * 1024  # a unit registry (catalog.loaded body), JSON text
MAX_ITEMS = 1000       # entries of any list
MAX_COUNT = 100_000    # casualties, incident numbers

Id = Annotated[str, Meta(pattern=UUID7, description="an event or record id (lowercase UUIDv7)")]
Instant = Annotated[str, Meta(pattern=INSTANT, description="a UTC instant, milliseconds, Z")]
Code = Annotated[str, Meta(min_length=1, max_length=MAX_CODE)]
MaybeCode = Annotated[str, Meta(max_length=MAX_CODE)]
Name = Annotated[str, Meta(max_length=MAX_NAME)]
Phone = Annotated[str, Meta(max_length=MAX_PHONE)]
Address = Annotated[str, Meta(max_length=MAX_ADDRESS)]
Text = Annotated[str, Meta(max_length=MAX_TEXT)]
Reason = Annotated[str, Meta(max_length=MAX_REASON)]
Count = Annotated[int, Meta(ge=0, le=MAX_COUNT)]
Login = Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9_.-]{0,31}$")]
Codes = Annotated[list[Code], Meta(max_length=MAX_ITEMS)]
Words = Annotated[list[Reason], Meta(max_length=MAX_ITEMS)]
Texts = Annotated[list[Text], Meta(max_length=MAX_ITEMS)]
Counts = Annotated[list[Count], Meta(max_length=MAX_ITEMS)]
Ids = Annotated[list[Id], Meta(max_length=MAX_ITEMS)]
Hex = Annotated[str, Meta(pattern=r"^[0-9a-f]{1,256}$")]

# Closed enumerations: the model's own enums (msgspec checks the value), and the report kinds
# and ways written out (tests/test_hostile_seat.py holds them to console/tiered/report_deadlines.py).
AreaName = Area
DispositionName = Disposition
StepName = OrderStatus
LevelName = Level
TypeName = IncidentType
ReportKind = Literal["initial_phone", "initial_written", "follow_up", "final"]
ReportVia = Literal["phone", "fax", "system", "in_person"]
ReportKinds = Annotated[list[ReportKind], Meta(max_length=MAX_ITEMS)]


class Payload(Struct, forbid_unknown_fields=True):
    """Base of every payload type: a field no schema names is refused, at any depth."""


# -- the unit registry ------------------------------------------------------------------------
class RegistryUnit(Payload):
    code: Code
    name_zh: Name
    name_en: Name
    policy_name: Name
    kind: Code
    tier: Annotated[int, Meta(ge=0, le=9)]
    regime: Code
    duty_phone: Phone
    duty_location: Address
    duty_hours: Reason
    categories: Codes
    note: Reason
    pinyin: Words
    initials: Words
    aliases: Words = []  # everyday short names the unit picker finds (newer snapshots)


Keyword = tuple[Reason, Annotated[float, Meta(ge=-1000, le=1000)]]
Keywords = Annotated[list[Keyword], Meta(max_length=MAX_ITEMS)]


class RegistryCategory(Payload):
    code: Code
    name_zh: Name
    name_en: Name
    route: Code
    transfer_to: MaybeCode | None
    severity: Code
    emergency: bool
    lead_unit: MaybeCode | None
    co_units: Codes
    keywords_zh: Keywords
    keywords_en: Keywords
    pinyin: Words
    initials: Words
    examples_zh: Texts = []  # examples and together: newer snapshots only
    examples_en: Texts = []
    together: Codes = []  # services and units a call of this category needs at once


class Registry(Payload):
    """A catalog snapshot (``Catalog.to_json``) as ``catalog.loaded`` carries it.

    A registry must load as a catalog, or every seat that adopts it stops working: so a field
    ``Catalog.from_json`` reads without a default is required here too, and a body this type
    accepts always loads (tests/test_catalog.py holds the two to each other). That keeps the
    check here, below the store, with no import of the catalog above it.
    """

    format: Literal[1]
    units: Annotated[list[RegistryUnit], Meta(min_length=1, max_length=MAX_ITEMS)]
    categories: Annotated[list[RegistryCategory], Meta(min_length=1, max_length=MAX_ITEMS)]


class CatalogLoaded(Payload):
    version: Code
    body: Annotated[str, Meta(min_length=2, max_length=MAX_REGISTRY,
                              description="the unit registry as JSON text (a Registry)")]
    seed: bool = False


# -- incidents and calls ----------------------------------------------------------------------
class CallAdded(Payload):
    call_id: Id
    incident_id: Id
    phone: Phone
    caller_name: Name
    address: Address
    area: AreaName
    text: Text


class IncidentCreated(CallAdded):
    place_key: Address
    category: MaybeCode
    disposition: DispositionName
    source: Literal["center", "unit"] = "center"
    reporting_unit: MaybeCode = ""
    drill: bool = False


class IncidentMerged(Payload):
    incident_id: Id
    into: Id


class IncidentRecategorized(Payload):
    incident_id: Id
    category: Code


class IncidentTriageCorrected(Payload):
    """The call-taker chose another category than triage's top suggestion (or chose one where
    triage abstained): the floor's correction, read by ``linkage triage report`` and folded into
    training by ``linkage triage train --with-corrections``."""

    incident_id: Id
    chosen: Code
    suggested: Code | None = None
    confidence: Annotated[float, Meta(ge=0.0, le=1.0)] = 0.0
    abstained: bool = False


class IncidentTransferred(Payload):
    incident_id: Id
    disposition: DispositionName
    note: Reason = ""
    keep_open: bool = False  # another service or a linkage order still runs


class IncidentNoted(Payload):
    incident_id: Id
    note: Text = ""
    merged: Id | None = None


class IncidentClosed(Payload):
    incident_id: Id


class IncidentReopened(Payload):
    incident_id: Id
    reason: MaybeCode = ""
    callback: Id | None = None
    for_order: MaybeCode = ""  # the unit a new order on a closed incident went to


class IncidentCalledBack(Payload):
    incident_id: Id
    result: Literal["satisfied", "basic", "dissatisfied"]
    note: Reason = ""
    reopen: bool = False


class IncidentGraded(Payload):
    incident_id: Id
    type: TypeName
    level: LevelName
    reason: Reason = ""
    rule: Annotated[str, Meta(max_length=80)] = ""
    deaths: Count | None = None
    injured: Count | None = None
    trapped: Count | None = None


# -- orders -----------------------------------------------------------------------------------
class OrderIssued(Payload):
    order_id: Id
    incident_id: Id
    unit: Code
    unit_kind: Code
    area: AreaName
    first_contact: bool
    handover_from: Id | None = None
    reassigned_from: Id | None = None
    note: Reason = ""
    phase: Literal["", "daily", "initial", "plan"] = ""
    activation: Id | None = None
    ack_due: Instant | None = None
    depart_due: Instant | None = None
    arrive_due: Instant | None = None
    feedback_due: Instant | None = None


class OrderStepped(Payload):
    order_id: Id
    status: StepName
    note: Reason = ""
    reason: Reason = ""


class OrderReturnReviewed(Payload):
    order_id: Id
    return_event: Id
    decision: Literal["accept", "reject"]
    note: Reason = ""


class OrderUrged(Payload):
    order_id: Id
    to: Reason
    how: Literal["phone", "sms", "radio", "in_person"]
    incident_id: Id | None = None
    note: Reason = ""


class OrderSupervised(Payload):
    order_id: Id
    level: Annotated[int, Meta(ge=1, le=4)]  # 4: the city's 督办 (console/orders/accountability.py)
    reason: Annotated[str, Meta(min_length=1, max_length=MAX_REASON)]
    due: Instant
    incident_id: Id | None = None
    minutes: Annotated[int, Meta(ge=1, le=100_000)] | None = None


# -- duty -------------------------------------------------------------------------------------
class RosterShift(Payload):
    start: Instant
    end: Instant
    person: Name
    phone: Phone
    vehicle: Name = ""
    contact: Phone = ""
    responsible: Name = ""


class RosterFiled(Payload):
    unit: Code
    period_from: Instant
    period_to: Instant
    filed_at: Instant
    shifts: Annotated[list[RosterShift], Meta(max_length=MAX_ITEMS)]
    source: Reason = ""


class RollcallRecorded(Payload):
    unit: Code
    result: Literal["answered", "no_answer", "wrong_person"]
    round_id: Code
    duty_person: Name = ""
    duty_phone: Phone = ""
    note: Reason = ""


Role = Literal["admin", "operator"]
Kdf = Literal["pbkdf2_sha256", "scrypt"]  # console/duty/pins.py: PBKDF2, SCRYPT


class OperatorSecret(Payload):
    """A PIN's hash and how it was made (console/duty/pins.py); never the PIN. Without ``kdf`` it is
    PBKDF2-SHA256 with ``iterations`` (events written before scrypt)."""

    login: Login
    salt: Hex
    pin_hash: Hex
    kdf: Kdf | None = None
    iterations: Annotated[int, Meta(ge=1, le=100_000_000)] | None = None
    scrypt_n: Annotated[int, Meta(ge=2, le=1 << 24)] | None = None
    scrypt_r: Annotated[int, Meta(ge=1, le=64)] | None = None
    scrypt_p: Annotated[int, Meta(ge=1, le=64)] | None = None
    by: Login | None = None  # the administrator who did it


class OperatorEnrolled(OperatorSecret, kw_only=True):
    name: Annotated[str, Meta(min_length=1, max_length=40)]
    role: Role | None = None


class OperatorPinChanged(OperatorSecret):
    reason: MaybeCode = ""  # "rehash": a sign-in upgraded the hash


class OperatorLogin(Payload):
    login: Login


class OperatorDisabled(Payload):
    login: Login
    by: Login | None = None


class OperatorRoleSet(Payload):
    login: Login
    role: Role
    by: Login | None = None


class OperatorSignInFailed(Payload):
    login: Login
    purpose: MaybeCode = ""  # sign_in / passwd / admin / handover


class ShiftHandedOver(Payload):
    from_operator: Annotated[str, Meta(min_length=1, max_length=64)]
    to_operator: Login
    open_incidents: Counts
    overdue_orders: Counts
    note: Reason = ""
    incident_ids: Ids = []
    order_ids: Ids = []
    at: Instant | None = None


# -- tiered response --------------------------------------------------------------------------
class ReportFiled(Payload):
    incident_id: Id
    kind: ReportKind
    to: Reason
    via: ReportVia
    body: Annotated[str, Meta(max_length=MAX_BODY)] = ""


class PlanUnit(Payload):
    code: Code
    role: MaybeCode = ""
    task_zh: Reason = ""
    task_en: Reason = ""
    already_ordered: bool = False


class PlanStep(Payload):
    n: Annotated[int, Meta(ge=1, le=MAX_ITEMS)]
    text_zh: Reason = ""
    text_en: Reason = ""
    role: MaybeCode | None = None
    unit: MaybeCode | None = None
    due_minutes: Annotated[int, Meta(ge=0, le=100_000)] | None = None


class PlanActivated(Payload):
    incident_id: Id
    plan: Code
    level: LevelName
    units: Annotated[list[PlanUnit], Meta(max_length=MAX_ITEMS)]
    steps: Annotated[list[PlanStep], Meta(max_length=MAX_ITEMS)]
    plan_name_zh: Name = ""
    plan_name_en: Name = ""
    type: TypeName | None = None
    category: MaybeCode = ""
    forced: bool = False
    reason: Reason = ""
    reports: ReportKinds = []


class PlanStepChecked(Payload):
    incident_id: Id
    activation: Id
    step: Annotated[int, Meta(ge=1, le=MAX_ITEMS)]
    done: bool
    note: Reason = ""


PAYLOADS: dict[str, type[Payload]] = {
    "catalog.loaded": CatalogLoaded,
    "incident.created": IncidentCreated,
    "call.added": CallAdded,
    "incident.merged": IncidentMerged,
    "incident.recategorized": IncidentRecategorized,
    "incident.triage_corrected": IncidentTriageCorrected,
    "incident.transferred": IncidentTransferred,
    "incident.noted": IncidentNoted,
    "incident.closed": IncidentClosed,
    "incident.reopened": IncidentReopened,
    "incident.called_back": IncidentCalledBack,
    "incident.graded": IncidentGraded,
    "order.issued": OrderIssued,
    "order.stepped": OrderStepped,
    "order.return_reviewed": OrderReturnReviewed,
    "order.urged": OrderUrged,
    "order.supervised": OrderSupervised,
    "roster.filed": RosterFiled,
    "rollcall.recorded": RollcallRecorded,
    "operator.enrolled": OperatorEnrolled,
    "operator.pin_changed": OperatorPinChanged,
    "operator.disabled": OperatorDisabled,
    "operator.role_set": OperatorRoleSet,
    "operator.sign_in_failed": OperatorSignInFailed,
    "operator.signed_in": OperatorLogin,
    "operator.signed_out": OperatorLogin,
    "shift.handed_over": ShiftHandedOver,
    "report.filed": ReportFiled,
    "plan.activated": PlanActivated,
    "plan.step_checked": PlanStepChecked,
}


def _registry_body(payload: CatalogLoaded) -> str | None:
    """The body is JSON text inside the payload: decoded here as a ``Registry``."""
    try:
        msgspec.json.decode(payload.body.encode(), type=Registry)
    except (msgspec.DecodeError, ValueError) as exc:
        return f"body is not a unit registry: {str(exc)[:200]}"
    return None


# Checks one field's type cannot say: kind → fn(validated payload) → problem or None.
EXTRA: dict[str, Callable[[Any], str | None]] = {"catalog.loaded": _registry_body}


def payload_problem(kind: str, payload: object) -> tuple[str, str] | None:
    """(code, English detail) of what is wrong with ``payload`` for ``kind``, or None.

    A kind with no schema here is refused: the server must not store what no seat can check.
    """
    schema = PAYLOADS.get(kind)
    if schema is None:
        return "unknown_kind", f"no schema for event kind {kind[:64]!r}"
    try:
        try:
            value = msgspec.convert(payload, schema)
        except msgspec.ValidationError as exc:
            if "got `float`" not in str(exc):
                raise
            # JSON (and the OpenAPI description) count 737.0 as the integer 737; msgspec does
            # not. Asked again only after a refusal, so a well-formed payload pays nothing.
            value = msgspec.convert(_integral_floats_as_ints(payload), schema)
    except msgspec.ValidationError as exc:
        return "bad_payload", f"{kind} payload: {str(exc)[:300]}"
    except (TypeError, ValueError, RecursionError) as exc:  # not JSON data at all
        return "bad_payload", f"{kind} payload: {type(exc).__name__}"
    extra = EXTRA.get(kind)
    problem = extra(value) if extra is not None else None
    return None if problem is None else ("bad_registry", problem)


def _integral_floats_as_ints(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _integral_floats_as_ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_integral_floats_as_ints(v) for v in value]
    return value


def required_keys(kind: str) -> tuple[str, ...]:
    """The payload keys ``kind`` must carry (fields without a default)."""
    info = msgspec.inspect.type_info(PAYLOADS[kind])
    assert isinstance(info, msgspec.inspect.StructType)
    return tuple(f.name for f in info.fields if f.required)


def json_schemas() -> tuple[dict[str, Any], dict[str, Any]]:
    """(kind → JSON Schema of its payload, the shared component schemas they refer to)."""
    kinds = sorted(PAYLOADS)
    refs, components = msgspec.json.schema_components(
        [PAYLOADS[k] for k in kinds], ref_template="#/components/schemas/{name}")
    return dict(zip(kinds, refs, strict=True)), components
