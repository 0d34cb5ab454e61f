"""The demo's sessions and their dates: titles and abstracts, formats, speakers, circles,
dates in office hours where they happen, rooms never booked twice; planned in memory, then
written in bulk."""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from knowflow.demo import vocabulary as V
from knowflow.demo.specification import BATCH, FORMATS, LEVELS, SESSION_LANGUAGES
from knowflow.demo.stages import PlannedOccurrence, PlannedSession, Stages, weighted
from knowflow.events.models import Occurrence, Session


def aware(day: date, clock: time, zone: ZoneInfo) -> datetime:
    # zoneinfo resolves the wall-clock time on that very date, so DST shifts land correctly.
    return datetime.combine(day, clock, tzinfo=zone)


class SessionStages(Stages):
    def title_for(self, rng: random.Random, fmt: str, topic: str) -> str:
        angle, audience = rng.choice(V.ANGLES), rng.choice(V.AUDIENCES)
        if fmt == Session.Format.WORKSHOP:
            options = [
                f"Hands-on {topic}: {angle}",
                f"{topic} workshop for {audience}",
                f"Build it together: {topic} {angle}",
            ]
        elif fmt == Session.Format.LIGHTNING:
            options = [
                f"{rng.randint(3, 7)} {topic} tricks in 15 minutes",
                f"Lightning: {topic} {angle}",
                f"One {topic} idea for {audience}",
            ]
        elif fmt == Session.Format.PANEL:
            options = [f"Panel: the future of {topic}", f"Panel: {topic} for {audience}"]
        elif fmt == Session.Format.AMA:
            options = [f"Ask me anything: {topic}", f"AMA with our {topic} experts"]
        elif fmt == Session.Format.COURSE_MODULE:
            n = rng.randint(1, len(V.CHAPTERS))
            options = [f"{topic} course, module {n}: {V.CHAPTERS[n - 1]}"]
        elif fmt == Session.Format.DEMO:
            options = [
                f"Demo: {topic} in {rng.choice(V.TEAM_CONTEXTS)}",
                f"Live demo: {topic} {angle}",
            ]
        else:
            before, after = rng.choice(V.JOURNEYS)
            options = [
                f"{topic} in practice: {angle}",
                f"From {before} to {after}: our {topic} journey",
                f"A gentle introduction to {topic}",
                f"{topic} for {audience}",
                f"What {rng.choice(V.TEAM_CONTEXTS)} learned about {topic}",
                f"Fixing {rng.choice(V.PROBLEMS)} with {topic}",
            ]
        return rng.choice(options)

    def abstract_for(self, rng: random.Random, fmt: str, topic: str, level: str) -> str:
        def fill(text: str) -> str:
            return text.format(
                topic=topic, context=rng.choice(V.TEAM_CONTEXTS), problem=rng.choice(V.PROBLEMS)
            )

        opener = fill(rng.choice(V.OPENERS))
        opener = opener[0].upper() + opener[1:]
        takeaways = [fill(t) for t in rng.sample(V.TAKEAWAYS, 3)]
        audience = rng.sample(V.AUDIENCES, 2)
        return (
            f"{opener} {rng.choice(V.MIDDLES)}\n\n"
            "**What you will take away**\n\n"
            + "".join(f"- {t[0].upper()}{t[1:]}\n" for t in takeaways)
            + f"\n*Who it is for:* {audience[0]} and {audience[1]}; level: {level}.\n\n"
            + V.FORMAT_NOTES[fmt]
        )

    def plan_sessions(self) -> None:
        rng = self.rng("sessions")
        count = self.size.sessions
        speakers_pool = rng.sample(
            self.bulk_people_ids, max(4, int(len(self.bulk_people_ids) * self.size.speaker_share))
        )
        # Experts speak again and again: a few people give many sessions.
        pool_weights = [1.0 / (1 + i) ** 0.6 for i in range(len(speakers_pool))]
        enablers = [self.accounts["enabler"].pk]
        topic_name = {pk: name for name, pk in self.topic_ids.items()}
        fmt_names = [f for f, _, _ in FORMATS]
        fmt_weights = [w for _, w, _ in FORMATS]
        self.minutes = {f: m for f, _, m in FORMATS}
        self.sessions: list[PlannedSession] = []
        for _ in range(count):
            fmt = weighted(rng, fmt_names, fmt_weights)
            level = weighted(rng, [lv for lv, _ in LEVELS], [w for _, w in LEVELS])
            topic = rng.choice(self.leaf_topics)
            topics = [topic]
            extra = rng.random()
            if extra < 0.35:
                topics.append(rng.choice(self.siblings[self.topic_parent[topic]]))  # type: ignore[index]
            elif extra < 0.5:
                topics.append(self.topic_parent[topic])  # type: ignore[arg-type]
            topics = list(dict.fromkeys(topics))
            n_speakers = (
                rng.randint(3, 4)
                if fmt == Session.Format.PANEL
                else weighted(rng, [1, 2], [80, 20])
            )
            speakers: list[int] = []
            while len(speakers) < n_speakers:
                candidate = rng.choices(speakers_pool, weights=pool_weights, k=1)[0]
                if candidate not in speakers:
                    speakers.append(candidate)
            lead_language = self.person_language[speakers[0]]
            language = (
                lead_language
                if lead_language in SESSION_LANGUAGES and rng.random() < 0.25
                else "en"
            )
            circles = self.circles_of_topic.get(topic, [])
            circle = rng.choice(circles) if circles and rng.random() < 0.7 else None
            title = self.title_for(rng, fmt, topic_name[topic])
            roll = rng.random()
            status = (
                Session.Status.PROPOSED
                if roll < 0.08
                else Session.Status.CANCELLED
                if roll < 0.11
                else Session.Status.SCHEDULED
            )
            self.sessions.append(
                PlannedSession(
                    title=title,
                    slug=self.unique_slug(title, max_length=220),
                    abstract=self.abstract_for(rng, fmt, topic_name[topic], level),
                    format=fmt,
                    level=level,
                    language=language,
                    topics=topics,
                    speakers=speakers,
                    circle=circle,
                    status=status,
                    proposed_by=speakers[0] if rng.random() < 0.85 else rng.choice(enablers),
                    created_at=self.now
                    - timedelta(days=rng.randint(0, 90), minutes=rng.randint(0, 1439)),
                )
            )

    def plan_occurrences(self) -> None:
        rng = self.rng("occurrences")
        utc = UTC
        booked: set[tuple[int, int]] = set()  # (room index, UTC hour since the epoch)
        self.occurrences: list[PlannedOccurrence] = []
        office_ids = list(self.office_zone)
        for s_index, session in enumerate(
            self.bar(self.sessions, total=len(self.sessions), desc="occurrences")
        ):
            if session.status == Session.Status.PROPOSED:
                continue
            n = (
                1
                if session.status == Session.Status.CANCELLED
                else weighted(rng, [1, 2, 3], [70, 20, 10])
            )
            minutes = self.minutes[session.format]
            if session.format == Session.Format.WORKSHOP and rng.random() < 0.3:
                minutes = 180
            any_upcoming = False
            first_start: datetime | None = None
            for _ in range(n):
                upcoming = (
                    session.status == Session.Status.CANCELLED
                    or rng.random() < self.size.upcoming_share
                )
                mode = weighted(rng, ["room", "online", "hybrid"], [40, 30, 30])
                if session.format == Session.Format.WORKSHOP and mode == "online":
                    mode = "hybrid"
                planned: PlannedOccurrence | None = None
                if mode != "online":
                    speaker_office = self.person_office.get(session.speakers[0])
                    for _attempt in range(12):
                        office = (
                            speaker_office
                            if speaker_office and rng.random() < 0.7
                            else rng.choice(office_ids)
                        )
                        zone = self.office_zone[office]
                        start = self._local_start(rng, zone, upcoming, minutes)
                        end = start + timedelta(minutes=minutes)
                        room = rng.choice(self.rooms_of_office[office])
                        cells = range(
                            int(start.timestamp()) // 3600, math.ceil(end.timestamp() / 3600)
                        )
                        if any((room, cell) in booked for cell in cells):
                            continue
                        booked.update((room, cell) for cell in cells)
                        room_capacity = self.rooms[room][2]
                        capacity = (
                            room_capacity
                            if rng.random() < 0.6
                            else max(4, int(room_capacity * rng.uniform(0.5, 1)))
                        )
                        if mode == "hybrid":
                            capacity += rng.choice([20, 50, 100])
                        planned = PlannedOccurrence(
                            s_index, start, end, room, mode == "hybrid", capacity, upcoming
                        )
                        break
                if planned is None:  # online, or no free room found: run it online
                    zone = ZoneInfo(self.person_zone[session.speakers[0]])
                    start = self._local_start(rng, zone, upcoming, minutes)
                    planned = PlannedOccurrence(
                        s_index,
                        start,
                        start + timedelta(minutes=minutes),
                        None,
                        True,
                        rng.choice([30, 50, 100, 200, 500]),
                        upcoming,
                    )
                planned.start, planned.end = (
                    planned.start.astimezone(utc),
                    planned.end.astimezone(utc),
                )
                session.occurrences.append(len(self.occurrences))
                self.occurrences.append(planned)
                any_upcoming = any_upcoming or upcoming
                first_start = (
                    planned.start if first_start is None else min(first_start, planned.start)
                )
            if session.status != Session.Status.CANCELLED:
                session.status = Session.Status.SCHEDULED if any_upcoming else Session.Status.DONE
            if first_start is not None:
                # Proposed a few weeks before it first ran, and never in the future.
                session.created_at = min(
                    self.now - timedelta(minutes=rng.randint(60, 600)),
                    first_start - timedelta(days=rng.randint(7, 60), minutes=rng.randint(0, 1439)),
                )

    def _local_start(
        self, rng: random.Random, zone: ZoneInfo, upcoming: bool, minutes: int
    ) -> datetime:
        """A start on a weekday, inside office hours where the occurrence happens."""
        today = self.now.astimezone(zone).date()
        if upcoming:
            day = today + timedelta(days=rng.randint(1, self.size.future_days))
            while day.weekday() >= 5:
                day += timedelta(days=1)
        else:
            day = today - timedelta(days=rng.randint(2, self.size.past_days))
            while day.weekday() >= 5:
                day -= timedelta(days=1)
        latest = max(9, 17 - math.ceil(minutes / 60))
        hour = rng.randint(9, latest)
        minute = rng.choice([0, 0, 0, 30])
        return aware(day, time(hour, minute), zone)

    def involve_accounts(self) -> None:
        """Make the sign-in accounts worth signing in with: talks for the speaker, plans for the member."""
        rng = self.rng("accounts-involved")
        speaker = self.accounts["speaker"].pk
        member = self.accounts["member"].pk
        upcoming = [
            i
            for i, s in enumerate(self.sessions)
            if s.status == Session.Status.SCHEDULED
            and any(self.occurrences[o].upcoming for o in s.occurrences)
        ]
        past = [i for i, s in enumerate(self.sessions) if s.status == Session.Status.DONE]
        proposed = [i for i, s in enumerate(self.sessions) if s.status == Session.Status.PROPOSED]
        for index in rng.sample(upcoming, 3) + rng.sample(past, 3) + rng.sample(proposed, 1):
            session = self.sessions[index]
            session.speakers = [speaker] + [p for p in session.speakers if p != speaker][
                : max(0, len(session.speakers) - 1)
            ]
            session.proposed_by = speaker
        member_circles = set(self.members_of_person(member))
        member_skills = set(self.skills_of[member])

        def interesting(o: PlannedOccurrence) -> bool:
            session = self.sessions[o.session]
            return session.circle in member_circles or bool(member_skills & set(session.topics))

        live = [
            o
            for o in self.occurrences
            if self.sessions[o.session].status != Session.Status.CANCELLED
            and speaker not in self.sessions[o.session].speakers
        ]
        coming = [o for o in live if o.upcoming and interesting(o)]
        went = [o for o in live if not o.upcoming and interesting(o)]
        for o in rng.sample(coming, min(3, len(coming))) + rng.sample(went, min(4, len(went))):
            o.forced.append(member)

    def write_sessions(self) -> None:
        batch: list[Session] = []
        created: list[Session] = []
        for session in self.bar(self.sessions, total=len(self.sessions), desc="sessions"):
            batch.append(
                Session(
                    title=session.title,
                    slug=session.slug,
                    abstract=session.abstract,
                    format=session.format,
                    level=session.level,
                    language=session.language,
                    circle_id=session.circle,
                    status=session.status,
                    proposed_by_id=session.proposed_by,
                    created_at=session.created_at,
                    updated_at=session.created_at,
                )
            )
            if len(batch) >= BATCH:
                created += Session.objects.bulk_create(batch)
                batch = []
        created += Session.objects.bulk_create(batch)
        self.session_ids = [s.pk for s in created]
        topic_links = Session.topics.through
        speaker_links = Session.speakers.through
        topic_rows, speaker_rows = [], []
        for pk, session in zip(self.session_ids, self.sessions, strict=True):
            topic_rows += [topic_links(session_id=pk, topic_id=t) for t in session.topics]
            speaker_rows += [speaker_links(session_id=pk, person_id=p) for p in session.speakers]
        for rows, model in ((topic_rows, topic_links), (speaker_rows, speaker_links)):
            for start in range(0, len(rows), BATCH * 2):
                model.objects.bulk_create(rows[start : start + BATCH * 2])
        occurrences: list[Occurrence] = []
        self.occurrence_ids: list[int] = []
        for n, planned in enumerate(self.occurrences):
            session = self.sessions[planned.session]
            occurrences.append(
                Occurrence(
                    session_id=self.session_ids[planned.session],
                    start=planned.start,
                    end=planned.end,
                    room_id=self.rooms[planned.room][0] if planned.room is not None else None,
                    online_url=f"https://meet.{V.EMAIL_DOMAIN}/k/{n + 1:07d}"
                    if planned.online
                    else "",
                    capacity=planned.capacity,
                    created_at=session.created_at,
                )
            )
            if len(occurrences) >= BATCH:
                self.occurrence_ids += [o.pk for o in Occurrence.objects.bulk_create(occurrences)]
                occurrences = []
        self.occurrence_ids += [o.pk for o in Occurrence.objects.bulk_create(occurrences)]
