"""Tables of the engine: versions, instances, human tasks, timers, incidents, audit."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import Base

INSTANCE_STATUSES = ("running", "completed", "error", "cancelled")
TASK_STATUSES = ("ready", "completed", "cancelled")


class ProcessVersion(Base):
    """One deployed version of one BPMN process; the parsed spec is stored here once."""

    __tablename__ = "process_version"
    __table_args__ = (
        UniqueConstraint("process_id", "version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(255), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    #: sha256 over the BPMN bytes and the form schemas the diagram names
    content_hash: Mapped[str] = mapped_column(String(64))
    bpmn_xml: Mapped[str] = mapped_column(Text)
    #: the serialized process spec and its subprocess specs (SpiffWorkflow dict form)
    spec_json: Mapped[str] = mapped_column(Text)
    #: {form file name: JSON Schema} for every form a user task names
    forms_json: Mapped[str] = mapped_column(Text, default="{}")
    #: {DMN file name: DMN XML} for every decision a business rule task names
    dmn_json: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")
    filename: Mapped[str] = mapped_column(String(255), default="")
    deployed_by: Mapped[str] = mapped_column(String(120))
    deployed_at: Mapped[datetime] = mapped_column(DateTime)
    #: why the version was made, as its author wrote it when deploying
    note: Mapped[str] = mapped_column(String(500), default="", server_default="")


class ProcessInstance(Base):
    """A running or finished workflow; ``state`` is the serialized workflow without its spec."""

    __tablename__ = "process_instance"
    __table_args__ = (
        CheckConstraint(
            "status in ('running', 'completed', 'error', 'cancelled')", name="status"
        ),
        Index("ix_instance_process_status", "process_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"), index=True)
    process_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20), default="running")
    state: Mapped[str] = mapped_column(Text)
    serializer_version: Mapped[str] = mapped_column(String(20))
    #: optimistic lock: every save checks and bumps it
    revision: Mapped[int] = mapped_column(Integer, default=1)
    started_by: Mapped[str] = mapped_column(String(120))
    #: the customer organisation the instance belongs to, if any (drives task visibility)
    organisation: Mapped[str | None] = mapped_column(String(120), index=True)
    title: Mapped[str] = mapped_column(String(255), default="")
    started_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: JSON list of [task_id, due iso] last written to due_timer (skips rewrites when unchanged)
    timers: Mapped[str] = mapped_column(Text, default="[]")
    #: the instance whose call activity started this one (a called process), if any
    parent_instance_id: Mapped[int | None] = mapped_column(Integer, index=True)
    #: the Spiff task id of that call activity
    parent_task_id: Mapped[str | None] = mapped_column(String(36))
    #: how many call activities deep this instance runs (0: started on its own)
    call_depth: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    version: Mapped[ProcessVersion] = relationship(lazy="joined")


class HumanTask(Base):
    """Index of user tasks so that task lists never deserialize a workflow."""

    __tablename__ = "human_task"
    __table_args__ = (
        UniqueConstraint("instance_id", "task_id"),
        CheckConstraint("status in ('ready', 'completed', 'cancelled')", name="status"),
        Index("ix_task_status_lane_due", "status", "lane", "due_at"),
        Index("ix_task_status_assignee", "status", "assignee"),
        Index("ix_task_org_status", "organisation", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: lookups by instance use the unique (instance_id, task_id) index
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    #: SpiffWorkflow task UUID
    task_id: Mapped[str] = mapped_column(String(36))
    #: BPMN element id of the user task
    element_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    #: BPMN lane = the role that may work the task
    lane: Mapped[str | None] = mapped_column(String(120))
    organisation: Mapped[str | None] = mapped_column(String(120))
    process_id: Mapped[str] = mapped_column(String(255))
    form: Mapped[str | None] = mapped_column(String(255))
    instructions: Mapped[str] = mapped_column(Text, default="")
    #: the lane narrowed to named people for this instance (task data ``lane_owners``):
    #: their usernames, each between newlines ("\\nana\\nbo\\n"); None: everyone of the lane
    lane_owners: Mapped[str | None] = mapped_column(Text)
    assignee: Mapped[str | None] = mapped_column(String(120))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20), default="ready")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)
    completed_by: Mapped[str | None] = mapped_column(String(120))


class DueTimer(Base):
    """A waiting timer event with its due time; runners claim rows with an expiring claim."""

    __tablename__ = "due_timer"
    __table_args__ = (UniqueConstraint("instance_id", "task_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    task_id: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(255))
    due_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    #: a claim older than this is void: its runner is presumed dead
    claim_expires_at: Mapped[datetime | None] = mapped_column(DateTime)


class Incident(Base):
    """A failed script or handler; the instance waits in status 'error' until retried."""

    __tablename__ = "incident"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    task_id: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(255))
    message: Mapped[str] = mapped_column(Text)
    traceback: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(120))


class AuditEvent(Base):
    """Append-only, hash-chained record of a state change.

    Every row is sealed: ``seq`` is its gap-free place in the chain and ``hash`` =
    sha256(prev_hash + canonical JSON of the event), see engine.audit. On PostgreSQL a step
    queues its events (``AuditQueue``) and the sealer (engine.sealer) inserts them here,
    sealed, in the order it seals them; on SQLite, which has one writer at a time, a step
    seals and inserts its own. ``seq`` may be NULL only in a log from before the queue.
    """

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_instance", "instance_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: position in the chain; NULL until sealed
    seq: Mapped[int | None] = mapped_column(Integer, unique=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    actor: Mapped[str] = mapped_column(String(120), index=True)
    kind: Mapped[str] = mapped_column(String(60))
    #: deliberately no foreign key: the log outlives anything it talks about
    instance_id: Mapped[int | None] = mapped_column(Integer)
    process_id: Mapped[str | None] = mapped_column(String(255))
    version: Mapped[int | None] = mapped_column(Integer)
    task_id: Mapped[str | None] = mapped_column(String(36))
    element_id: Mapped[str | None] = mapped_column(String(255))
    data: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))


class AuditQueue(Base):
    """PostgreSQL: one step's audit events, committed with the step and not sealed yet.

    Steps insert here without a lock or a read (``id`` comes from the table's sequence);
    the sealer moves every committed row into ``audit_event``, sealed, and deletes it in the
    same transaction (the unsequenced queue of transparency logs such as Trillian).
    ``events`` is a JSON list of [at, actor, kind, instance_id, process_id, version,
    task_id, element_id, data] lists in the step's order (engine.audit.encode_events);
    ``instance_id`` is the one instance all of them name, or NULL (none or several); it has
    no index (each would cost every step an entry): the sealer keeps the queue short."""

    __tablename__ = "audit_queue"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(Integer)
    events: Mapped[str] = mapped_column(Text)


class AuditHead(Base):
    """Single row: the last sealed sequence number and hash, and the sealer's lease.

    Only the sealer writes it (writers never touch it); comparing it with the last event
    detects a truncated tail. ``sealer``/``lease_expires_at`` name the one process allowed
    to seal until then; another takes the lease over once it has expired."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[str] = mapped_column(String(64))
    sealer: Mapped[str | None] = mapped_column(String(120))
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime)


class RunnerHeartbeat(Base):
    """One row per runner process: when it last finished a round (for /readyz)."""

    __tablename__ = "runner_heartbeat"

    runner: Mapped[str] = mapped_column(String(120), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class MessageWait(Base):
    """A message catch event an instance waits on, with the correlation values it expects
    (computed from its data); delivery reads these rows instead of every instance's state."""

    __tablename__ = "message_wait"
    __table_args__ = (UniqueConstraint("instance_id", "task_id"),
                      Index("ix_message_wait_name", "name"))

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    task_id: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    #: {correlation key: {property: value}} the instance expects, JSON
    correlations: Mapped[str] = mapped_column(Text, default="{}")


MESSAGE_STATUSES = ("pending", "delivered", "unclaimed")


class BpmnMessage(Base):
    """A message thrown by an instance or sent from outside (POST /api/v1/messages).

    ``pending``: a runner delivers it to the instances waiting for it; ``delivered``: at
    least one took it; ``unclaimed``: none waited when it was delivered. Unclaimed messages
    are kept and listed for process owners, and delivered when an instance starts waiting
    for them (engine.messages)."""

    __tablename__ = "bpmn_message"
    __table_args__ = (
        CheckConstraint("status in ('pending', 'delivered', 'unclaimed')", name="status"),
        Index("ix_bpmn_message_status_name", "status", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    correlations: Mapped[str] = mapped_column(Text, default="{}")
    payload: Mapped[str] = mapped_column(Text, default="{}")
    #: who sent it: "instance" (thrown by ``source_instance_id``) or "api" (``sent_by``)
    source: Mapped[str] = mapped_column(String(20))
    source_instance_id: Mapped[int | None] = mapped_column(Integer)
    sent_by: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: JSON list of the instance ids that received it
    delivered_to: Mapped[str] = mapped_column(Text, default="[]")
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    claim_expires_at: Mapped[datetime | None] = mapped_column(DateTime)
