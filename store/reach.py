"""Where a person can be written to: the one reach rule, used by everything the assistant starts (reminders,
broadcasts and their preview, meeting notices, complaint updates and escalations, broadcast progress).

- Only on a channel this deployment has configured: `channels` comes from the settings through the composition
  root (bot/app.py). Nothing is ever pushed to the console. REST cannot be pushed to either: a REST sender gets
  what waits for her with her next answer, so REST serves only news that can wait for her (complaint updates,
  `can_wait`), never reminders or notices (a broadcast would wait for ever).
- The channel she last wrote from, else one she is known on: Telegram before WhatsApp (a WhatsApp message outside
  the 24-hour window needs a paid template).
- Never an identity that blocked the assistant (until she writes from it again).
- WhatsApp only to a number that opted in: she wrote from it (writing first, joining with a code and agreeing
  when asked all happen in a message of hers). A number imported from the spreadsheets that never did is counted
  and listed (`sahabat admin reach`), not messaged: Meta's policy asks for the person's opt-in.
- `BERHENTI`: reminders and notices skip her; what concerns her own requests (`include_opted_out`) does not.

Whoever is reachable on no configured channel is counted as unreachable, never queued on a channel that has no
sender (a row there would stay pending for ever).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, String, and_, case, literal, select
from sqlalchemy.orm import Session

from common.enums import STAFF_ROLES, Channel
from store.models import ChannelIdentity, Group, Membership, Person

Channels = frozenset[Channel]
# Channels the assistant can start a conversation on, in the order they are preferred.
PUSH_CHANNELS: tuple[Channel, ...] = (Channel.TELEGRAM, Channel.WHATSAPP)
# Channels whose messages wait for the person's next message (store/outbox.py, hand_over).
WAITING_CHANNELS: tuple[Channel, ...] = (Channel.REST,)
_ORDER = {channel: n for n, channel in enumerate(PUSH_CHANNELS + WAITING_CHANNELS)}
# Channels whose business-initiated messages need the person's opt-in.
OPT_IN_CHANNELS = frozenset({Channel.WHATSAPP})
_CHUNK = 500


class Unreached(StrEnum):
    """Why a person cannot be written to here."""

    # Known on no channel configured here (no Telegram id, no number, or only on a channel not set up).
    NO_CHANNEL = "no_channel"
    # An imported WhatsApp number that never wrote: she has not opted in.
    NOT_OPTED_IN = "not_opted_in"
    # She blocked the assistant on every configured channel she is known on.
    BLOCKED = "blocked"


@dataclass(frozen=True)
class Address:
    person_id: int
    channel: Channel
    external_id: str


@dataclass
class Audience:
    reachable: list[Address] = field(default_factory=list)
    opted_out: list[int] = field(default_factory=list)
    # Person id → why she cannot be written to; in the order asked.
    unreachable: dict[int, Unreached] = field(default_factory=dict)


@dataclass(frozen=True)
class _Known:
    """One identity of hers on a configured channel."""

    id: int
    channel: Channel
    external_id: str
    blocked: bool
    opted_in: bool

    @property
    def usable(self) -> bool:
        return not self.blocked and (self.opted_in or self.channel not in OPT_IN_CHANNELS)


def configured(enabled: Sequence[Channel]) -> Channels:
    """The channels messages can go out on, from those a deployment enables (the console never)."""
    return frozenset(channel for channel in _ORDER if channel in enabled)


def audience(
    db: Session,
    person_ids: Sequence[int],
    channels: Channels,
    include_opted_out: bool = False,
    can_wait: bool = False,
) -> Audience:
    """Where each person is written to (see the module's rule); people unknown to the database are left out.
    `can_wait`: the news may wait for her next message (REST)."""
    result = Audience()
    usable = [c for c in channels if c in PUSH_CHANNELS or (can_wait and c in WAITING_CHANNELS)]
    for start in range(0, len(person_ids), _CHUNK):
        chunk = list(person_ids[start : start + _CHUNK])
        people = {
            pid: (stopped, last)
            for pid, stopped, last in db.execute(
                select(Person.id, Person.opted_out_at.is_not(None), Person.last_channel).where(Person.id.in_(chunk))
            ).tuples()
        }
        known: dict[int, list[_Known]] = {}
        query = select(
            ChannelIdentity.person_id,
            ChannelIdentity.id,
            ChannelIdentity.channel,
            ChannelIdentity.external_id,
            ChannelIdentity.unreachable_at.is_not(None),
            ChannelIdentity.opted_in_at.is_not(None),
        ).where(ChannelIdentity.person_id.in_(chunk), ChannelIdentity.channel.in_(usable))
        for pid, identity_id, channel, external_id, blocked, opted_in in db.execute(query).tuples():
            known.setdefault(pid, []).append(_Known(identity_id, channel, external_id, blocked, opted_in))
        for pid in chunk:
            if pid not in people:
                continue
            stopped, last = people[pid]
            if stopped and not include_opted_out:
                result.opted_out.append(pid)
                continue
            choice = _choose(known.get(pid, []), last)
            if isinstance(choice, Unreached):
                result.unreachable[pid] = choice
            else:
                result.reachable.append(Address(pid, choice.channel, choice.external_id))
    return result


def _choose(known: list[_Known], last_channel: Channel | None) -> _Known | Unreached:
    usable = [k for k in known if k.usable]
    if not usable:
        if any(k.channel in OPT_IN_CHANNELS and not k.opted_in and not k.blocked for k in known):
            return Unreached.NOT_OPTED_IN
        return Unreached.BLOCKED if known else Unreached.NO_CHANNEL
    # Her last channel first, then by preference; on one channel, the identity made most recently.
    return min(usable, key=lambda k: (k.channel != last_channel, _ORDER[k.channel], -k.id))


def reached_on(channels: Channels) -> ColumnElement[str | None]:
    """The channel `audience` writes to a person on (a column over `Person` rows), or NULL: the same rule as
    `_choose`, in SQL, so a page can count ten thousand families by channel without reading them (Jangkauan).
    BERHENTI is not applied, as in `how_reached`; tests/test_reach.py holds it to `audience`."""
    usable = [c for c in PUSH_CHANNELS if c in channels]

    def usable_on(channel: Channel) -> ColumnElement[bool]:
        # IN (not a correlated EXISTS): the database reads the channel's usable identities once and looks each
        # person up in them; PostgreSQL costs a correlated form per person and compiles it (JIT) for seconds.
        found = [ChannelIdentity.channel == channel, ChannelIdentity.unreachable_at.is_(None)]
        if channel in OPT_IN_CHANNELS:
            found.append(ChannelIdentity.opted_in_at.is_not(None))
        return Person.id.in_(select(ChannelIdentity.person_id).where(*found))

    if not usable:
        return literal(None, String)
    # Her last channel first, then by preference (which identity on it does not change the channel).
    first = [(and_(Person.last_channel == c, usable_on(c)), literal(c.value, String)) for c in usable]
    then = [(usable_on(c), literal(c.value, String)) for c in usable]
    return case(*first, *then, else_=None)


def address(db: Session, person_id: int, channels: Channels, can_wait: bool = False) -> Address | None:
    """Where one person is written to, or None. BERHENTI does not stop it: complaint updates and the progress of
    her own broadcast answer something she asked for."""
    found = audience(db, [person_id], channels, include_opted_out=True, can_wait=can_wait).reachable
    return found[0] if found else None


def heard_from(person: Person, identity: ChannelIdentity, now: datetime) -> None:
    """She wrote from this identity: it is where she is reached first, it has opted in, it is no longer blocked."""
    if identity.opted_in_at is None:
        identity.opted_in_at = now
    if identity.unreachable_at is not None:
        identity.unreachable_at = None
    if identity.channel in PUSH_CHANNELS and person.last_channel != identity.channel:
        person.last_channel = identity.channel


def unreachable_members(db: Session, channels: Channels) -> list[tuple[Group, Person, Unreached]]:
    """Every group member no reminder or notice reaches here, and why (`sahabat admin reach`): BERHENTI is her
    choice and not listed; an imported number that never wrote is."""
    found: list[tuple[Group, Person, Unreached]] = []
    for group in db.scalars(select(Group).order_by(Group.name, Group.id)):
        members = list(db.scalars(select(Membership.person_id).where(Membership.group_id == group.id)))
        missed = audience(db, members, channels).unreachable
        people = {p.id: p for p in db.scalars(select(Person).where(Person.id.in_(list(missed))))}
        found += [(group, people[pid], why) for pid, why in missed.items()]
    return found


def unreachable_staff(db: Session, channels: Channels) -> list[tuple[Person, Unreached]]:
    """Pendamping, koordinator and admin whom complaint updates cannot reach here."""
    staff = list(db.scalars(select(Person).where(Person.role.in_(STAFF_ROLES)).order_by(Person.kode, Person.id)))
    missed = audience(db, [p.id for p in staff], channels, include_opted_out=True, can_wait=True).unreachable
    return [(p, missed[p.id]) for p in staff if p.id in missed]
