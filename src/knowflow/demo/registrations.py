"""The demo's registrations and attendance: who asks for a place at each date, in what order,
who goes and who waits (never more going than the capacity), and who came, and how."""

from __future__ import annotations

import random
import sys
from datetime import timedelta
from typing import Any

from tqdm import tqdm

from knowflow.demo.specification import BATCH
from knowflow.demo.stages import PlannedOccurrence, Stages, weighted
from knowflow.events.models import Attendance, Registration, Session


class RegistrationStages(Stages):
    def registrant_counts(self, rng: random.Random) -> list[int]:
        """How many people ask for a place at each occurrence, summing to exactly the target."""
        live = [
            i
            for i, o in enumerate(self.occurrences)
            if self.sessions[o.session].status != Session.Status.CANCELLED
        ]
        weights = {i: rng.uniform(0.2, 1.8) for i in live}
        total_weight = sum(weights.values()) or 1.0
        target = self.size.registrations
        limit = len(self.people_ids) - 8
        counts = [0] * len(self.occurrences)
        for i in live:
            counts[i] = min(limit, int(target * weights[i] / total_weight))
        missing = target - sum(counts)
        order = live[:]
        rng.shuffle(order)
        while missing > 0 and order:
            for i in order:
                if missing == 0:
                    break
                if counts[i] < limit:
                    counts[i] += 1
                    missing -= 1
        return counts

    def plan_registrations(self) -> None:
        """Decide how many ask for a place at each occurrence (before occurrences are written,
        because popular occurrences get a capacity below demand)."""
        rng = self.rng("registration-counts")
        self.counts = self.registrant_counts(rng)
        # About one upcoming occurrence in eight is popular: full, with people waiting.
        for planned, count in zip(self.occurrences, self.counts, strict=True):
            if planned.upcoming and count > 2 and rng.random() < 0.125:
                planned.capacity = max(1, count - rng.randint(1, min(8, count - 1)))

    def write_registrations(self) -> None:
        rng = self.rng("registrations")
        counts = self.counts
        people = self.people_ids
        regs: list[Registration] = []
        attendances: list[Attendance] = []
        self.registration_count = 0
        bar = tqdm(
            total=self.size.registrations,
            desc="registrations",
            unit="row",
            file=sys.stderr,
            mininterval=0.5,
            disable=not self.progress,
        )
        for index, (planned, count) in enumerate(zip(self.occurrences, counts, strict=True)):
            if count == 0 and not planned.forced:
                continue
            speakers = set(self.sessions[planned.session].speakers)
            chosen = [
                p
                for p in rng.sample(people, count + len(speakers) + len(planned.forced))
                if p not in speakers
            ]
            chosen = [p for p in chosen if p not in planned.forced][
                : max(0, count - len(planned.forced))
            ]
            # A registration is asked for before the occurrence (and, for what is to come, before now).
            latest = min(planned.start - timedelta(hours=1), self.now - timedelta(minutes=5))
            requests = sorted(
                (latest - timedelta(minutes=rng.randint(0, 60 * 24 * 30)), p) for p in chosen
            )
            requests = [(latest - timedelta(days=31), p) for p in planned.forced] + requests
            going = 0
            occurrence_id = self.occurrence_ids[index]
            for requested_at, person_id in requests:
                if person_id not in planned.forced and rng.random() < 0.06:
                    status = Registration.Status.CANCELLED
                elif going < planned.capacity:
                    status = Registration.Status.GOING
                    going += 1
                else:
                    status = Registration.Status.WAITLISTED
                regs.append(
                    Registration(
                        occurrence_id=occurrence_id,
                        person_id=person_id,
                        status=status,
                        requested_at=requested_at,
                        updated_at=requested_at,
                    )
                )
                if (
                    not planned.upcoming
                    and status == Registration.Status.GOING
                    and (person_id in planned.forced or rng.random() < 0.7)
                ):
                    mode = self._attendance_mode(rng, planned)
                    attendances.append(
                        Attendance(
                            occurrence_id=occurrence_id,
                            person_id=person_id,
                            mode=mode,
                            # Viewing a recording is recorded by the viewer, as on the site.
                            self_reported=mode == Attendance.Mode.RECORDING,
                            recorded_at=planned.end
                            + timedelta(minutes=rng.randint(5, 60 * 24 * 3)),
                        )
                    )
            if len(regs) >= BATCH * 5:
                self._flush(regs, attendances, bar)
        self._flush(regs, attendances, bar)
        bar.close()

    def _flush(self, regs: list[Registration], attendances: list[Attendance], bar: Any) -> None:
        Registration.objects.bulk_create(regs, batch_size=BATCH)
        Attendance.objects.bulk_create(attendances, batch_size=BATCH)
        bar.update(len(regs))
        self.registration_count += len(regs)
        regs.clear()
        attendances.clear()

    @staticmethod
    def _attendance_mode(rng: random.Random, planned: PlannedOccurrence) -> str:
        if planned.room is None:
            return weighted(rng, [Attendance.Mode.ONLINE, Attendance.Mode.RECORDING], [80, 20])
        if not planned.online:
            return weighted(rng, [Attendance.Mode.ROOM, Attendance.Mode.RECORDING], [90, 10])
        return weighted(
            rng,
            [Attendance.Mode.ROOM, Attendance.Mode.ONLINE, Attendance.Mode.RECORDING],
            [50, 40, 10],
        )
