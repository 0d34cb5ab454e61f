"""The demo's organisation: topics, org units, offices and rooms, the sign-in accounts, people,
circles with their members and champions, and skills."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.text import slugify

from knowflow.accounts.models import Office, OrgUnit, Person
from knowflow.accounts.services import person_create
from knowflow.circles.models import Circle, Membership
from knowflow.demo import vocabulary as V
from knowflow.demo.specification import ACCOUNTS, BATCH
from knowflow.demo.stages import Stages, weighted
from knowflow.events.models import Room
from knowflow.topics.models import Topic


class OrganisationStages(Stages):
    def make_topics(self) -> None:
        self.topic_ids: dict[str, int] = {}
        self.topic_parent: dict[int, int | None] = {}
        parents = Topic.objects.bulk_create(
            Topic(
                name=group[0][0],
                slug=slugify(group[0][0]),
                synonyms=list(group[0][1]),
                description=f"Everything about {group[0][0].lower()}.",
            )
            for group in V.TOPIC_GROUPS
        )
        children: list[Topic] = []
        for parent, group in zip(parents, V.TOPIC_GROUPS, strict=True):
            self.topic_ids[parent.name] = parent.pk
            self.topic_parent[parent.pk] = None
            children += [
                Topic(
                    name=name,
                    slug=slugify(name),
                    synonyms=list(synonyms),
                    parent=parent,
                    description=f"{name}: part of {parent.name.lower()}.",
                )
                for name, synonyms in group[1:]
            ]
        for child in Topic.objects.bulk_create(children):
            self.topic_ids[child.name] = child.pk
            self.topic_parent[child.pk] = child.parent_id
        # Sessions and skills are mostly about the specific topics, not the umbrella ones.
        self.leaf_topics = [pk for pk, parent in self.topic_parent.items() if parent is not None]
        self.siblings: dict[int, list[int]] = {}
        for pk, parent in self.topic_parent.items():
            if parent is not None:
                self.siblings.setdefault(parent, []).append(pk)

    def make_org_units(self) -> None:
        company = OrgUnit.objects.create(
            name=V.COMPANY_NAME, slug=V.COMPANY_SLUG, kind=OrgUnit.Kind.COMPANY
        )
        divisions = OrgUnit.objects.bulk_create(
            OrgUnit(name=name, slug=slugify(name), kind=OrgUnit.Kind.DIVISION, parent=company)
            for name in V.DIVISIONS
        )
        teams = OrgUnit.objects.bulk_create(
            OrgUnit(name=team, slug=slugify(team), kind=OrgUnit.Kind.TEAM, parent=division)
            for division, name in zip(divisions, V.DIVISIONS, strict=True)
            for team in V.DIVISIONS[name]
        )
        self.team_ids = [team.pk for team in teams]
        self.support_team = next(team.pk for team in teams if team.name == "Support")

    def make_offices_and_rooms(self) -> None:
        zone_of_office = {place.office: place.zone for place in V.PLACES if place.office}
        offices = Office.objects.bulk_create(
            Office(
                name=name,
                slug=slugify(name),
                city=city,
                country=country,
                timezone=zone_of_office[name],
            )
            for name, (city, country) in V.OFFICES.items()
        )
        self.office_ids = {office.name: office.pk for office in offices}
        rooms = Room.objects.bulk_create(
            Room(office=office, name=name, capacity=capacity)
            for office in offices
            for name, capacity in V.ROOMS[: self.size.rooms_per_office]
        )
        self.rooms = [(room.pk, room.office_id, room.capacity) for room in rooms]
        self.office_zone = {office.pk: ZoneInfo(office.timezone) for office in offices}
        self.rooms_of_office: dict[int, list[int]] = {}
        for index, (_, office_id, _) in enumerate(self.rooms):
            self.rooms_of_office.setdefault(office_id, []).append(index)

    def make_accounts(self) -> None:
        rng = self.rng("accounts")
        place_of_zone = {place.zone: place for place in V.PLACES}
        self.accounts: dict[str, Person] = {}
        for account in ACCOUNTS:
            place = place_of_zone[account.zone]
            culture = place.cultures[0]
            person = person_create(
                display_name=account.display_name,
                username=account.username,
                password=V.DEMO_PASSWORD,
                email=f"{account.username}@{V.EMAIL_DOMAIN}",
                role=account.role,
                timezone_name=account.zone,
                office=Office.objects.get(pk=self.office_ids[place.office])
                if place.office
                else None,
                org_unit=OrgUnit.objects.get(pk=rng.choice(self.team_ids)),
                languages=["en"]
                if V.LANGUAGE_OF_CULTURE[culture] == "en"
                else ["en", V.LANGUAGE_OF_CULTURE[culture]],
            )
            self.taken_slugs.add(person.slug)
            self.accounts[account.username] = person

    def make_people(self) -> None:
        rng = self.rng("people")
        places = list(V.PLACES)
        weights = [place.weight for place in places]
        cultures = sorted(V.NAMES)
        count = self.size.people - len(ACCOUNTS)
        people: list[Person] = []
        self.person_zone: dict[int, str] = {}
        self.person_office: dict[int, int | None] = {}
        self.person_language: dict[int, str] = {}
        for person in self.accounts.values():
            self.person_zone[person.pk] = person.timezone
            self.person_office[person.pk] = person.office_id
            self.person_language[person.pk] = person.languages[-1]
        default_hours = [["09:00", "17:00"]] * 5 + [None, None]
        for n in self.bar(range(count), total=count, desc="people"):
            # Every place gets somebody, then people spread by the places' weights.
            place = places[n] if n < len(places) else weighted(rng, places, weights)
            culture = rng.choice(place.cultures) if rng.random() < 0.8 else rng.choice(cultures)
            first_names, last_names = V.NAMES[culture]
            name = f"{rng.choice(first_names)} {rng.choice(last_names)}"
            team = rng.choice(self.team_ids)
            roll = rng.random()
            if place.zone == "Asia/Jerusalem":
                hours: list[Any] = [["09:00", "17:00"]] * 4 + [None, None, ["09:00", "17:00"]]
            elif n == len(places) or (team == self.support_team and roll < 0.3):
                # Follow-the-sun support works nights; the window crosses midnight.
                hours = [["22:00", "06:00"]] * 5 + [None, None]
            elif roll < 0.08:
                hours = [["08:00", "16:00"]] * 5 + [None, None]
            elif roll < 0.13:
                hours = [["10:00", "18:00"]] * 5 + [None, None]
            elif roll < 0.16:
                hours = [["09:00", "13:00"]] * 5 + [None, None]  # part-time mornings
            else:
                hours = default_hours
            language = V.LANGUAGE_OF_CULTURE[culture]
            slug = self.unique_slug(name, max_length=160)
            people.append(
                Person(
                    display_name=name,
                    slug=slug,
                    email=f"{slug}@{V.EMAIL_DOMAIN}",
                    role=Person.Role.ENABLER if rng.random() < 0.01 else Person.Role.MEMBER,
                    timezone=place.zone,
                    working_hours=hours,
                    office_id=self.office_ids[place.office]
                    if place.office and rng.random() < 0.85
                    else None,
                    org_unit_id=team,
                    languages=["en"] if language == "en" else ["en", language],
                    created_at=self.now
                    - timedelta(days=rng.randint(30, 2000), minutes=rng.randint(0, 1439)),
                )
            )
        created: list[Person] = []
        for start in range(0, len(people), BATCH):
            created += Person.objects.bulk_create(people[start : start + BATCH])
        for person in created:
            self.person_zone[person.pk] = person.timezone
            self.person_office[person.pk] = person.office_id
            self.person_language[person.pk] = person.languages[-1]
        self.people_ids = [p.pk for p in self.accounts.values()] + [p.pk for p in created]
        self.bulk_people_ids = [p.pk for p in created]

    def make_circles(self) -> None:
        rng = self.rng("circles")
        circles = Circle.objects.bulk_create(
            Circle(
                name=spec.name,
                slug=slugify(spec.name),
                mission=(
                    f"We {spec.purpose}.\n\n"
                    f"- Monthly sessions on {', '.join(spec.topics[:-1]) or spec.topics[0]}"
                    f"{' and ' + spec.topics[-1] if len(spec.topics) > 1 else ''}\n"
                    "- A shared reading list and office hours\n"
                    "- Everyone is welcome to propose a session"
                    + (
                        "\n\n*Membership by invitation from a champion.*"
                        if spec.invite_only
                        else ""
                    )
                ),
                visibility=Circle.Visibility.INVITE_ONLY
                if spec.invite_only
                else Circle.Visibility.OPEN,
            )
            for spec in V.CIRCLES
        )
        self.circle_ids = [c.pk for c in circles]
        self.circle_topics: dict[int, list[int]] = {}
        through = Circle.topics.through
        links = []
        for circle, spec in zip(circles, V.CIRCLES, strict=True):
            self.circle_topics[circle.pk] = [self.topic_ids[t] for t in spec.topics]
            links += [
                through(circle_id=circle.pk, topic_id=t) for t in self.circle_topics[circle.pk]
            ]
        through.objects.bulk_create(links)
        self.circles_of_topic: dict[int, list[int]] = {}
        for circle_id, topic_ids in self.circle_topics.items():
            for topic_id in topic_ids:
                self.circles_of_topic.setdefault(topic_id, []).append(circle_id)

        self.members_of: dict[int, list[int]] = {c: [] for c in self.circle_ids}
        memberships: list[Membership] = []
        member = self.accounts["member"].pk
        speaker = self.accounts["speaker"].pk
        # The member is in two open circles and one invite-only one, so "for you" has content.
        special = {
            member: [self.circle_ids[0], self.circle_ids[4], self.circle_ids[3]],
            speaker: [self.circle_ids[2], self.circle_ids[0]],
        }
        for person_id in self.people_ids:
            if person_id in special:
                chosen = special[person_id]
            else:
                k = weighted(rng, [0, 1, 2, 3], [30, 35, 25, 10])
                chosen = rng.sample(self.circle_ids, k)
            for circle_id in chosen:
                self.members_of[circle_id].append(person_id)
        for circle_id, members in self.members_of.items():
            champions = set(rng.sample(members, min(3, max(1, len(members) // 40 + 1))))
            if circle_id == self.circle_ids[2]:
                champions.add(speaker)
            memberships += [
                Membership(
                    circle_id=circle_id,
                    person_id=person_id,
                    role=Membership.Role.CHAMPION
                    if person_id in champions
                    else Membership.Role.MEMBER,
                    joined_at=self.now
                    - timedelta(days=rng.randint(1, 700), minutes=rng.randint(0, 1439)),
                )
                for person_id in members
            ]
        for start in range(0, len(memberships), BATCH):
            Membership.objects.bulk_create(memberships[start : start + BATCH])

    def make_skills(self) -> None:
        rng = self.rng("skills")
        through = Person.skills.through
        member = self.accounts["member"].pk
        self.skills_of: dict[int, list[int]] = {}
        rows = []
        for person_id in self.people_ids:
            if person_id == member:
                chosen = [
                    self.topic_ids[t] for t in ("Python", "Kubernetes", "Testing", "Observability")
                ]
            else:
                chosen = rng.sample(
                    self.leaf_topics, weighted(rng, [0, 1, 2, 3, 4], [10, 25, 30, 20, 15])
                )
            self.skills_of[person_id] = chosen
            rows += [through(person_id=person_id, topic_id=t) for t in chosen]
        for start in range(0, len(rows), BATCH * 2):
            through.objects.bulk_create(rows[start : start + BATCH * 2])
