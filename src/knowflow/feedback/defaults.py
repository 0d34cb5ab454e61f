"""The survey templates Knowflow ships: written once here, loaded by a data migration.

Performance-focused, not Likert: every choice describes a state the person can recognise
("I can apply it on my own in my work") rather than a degree of agreement, and each choice
is judged unacceptable / acceptable / superior here, before any answer exists. NPS is an
optional extra, labelled as reputation (LTEM 3B), never the headline.

Every answer here is the person's own account, so every question is tagged learner perception
(LTEM 3A, or 3B for satisfaction and reputation) whatever it is about: "I applied it" or "it
saves me four hours a month" is a self-report of transfer, not observed transfer (LTEM 7) or a
measured effect (LTEM 8). The Kirkpatrick level still says what a question is *about*
(reaction, learning, behaviour, results); the evidence views label those answers
self-reported. The trainer retrospective is tagged activity (LTEM 2): it is the speaker's view
of how the session ran, not evidence about the learners.

`seed_default_templates` takes the model classes as arguments so that the data migration can
pass its historical models; it does nothing for a family that is already there.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

U, A, S = "unacceptable", "acceptable", "superior"


def _options(*rows: tuple[str, str, str]) -> list[dict[str, str]]:
    return [
        {"value": value, "label": label, "standard": standard} for value, label, standard in rows
    ]


def nps_options() -> list[dict[str, str]]:
    """0–6 detractors, 7–8 passives, 9–10 promoters: the usual NPS bands as standards."""
    return [
        {"value": str(n), "label": str(n), "standard": U if n <= 6 else A if n <= 8 else S}
        for n in range(11)
    ]


def _q(
    key: str,
    text: str,
    type: str,
    kirkpatrick: int,
    ltem: str,
    options: list | None = None,
    required: bool = True,
    help_text: str = "",
) -> dict[str, Any]:
    return {
        "key": key,
        "text": text,
        "type": type,
        "kirkpatrick": kirkpatrick,
        "ltem": ltem,
        "options": options or [],
        "required": required,
        "help_text": help_text,
    }


APPLIED_OPTIONS = _options(
    ("not_yet", "Not yet: I haven't used it in my work.", U),
    ("tried", "I tried it once or twice.", A),
    ("regularly", "I use it regularly in my work.", S),
    ("spread", "I use it regularly and others in my team now do too.", S),
)
HOW_OFTEN_OPTIONS = _options(
    ("never", "Never", U),
    ("once", "Once", A),
    ("monthly", "A few times a month", A),
    ("weekly", "Every week", S),
    ("daily", "Every day", S),
)
RESULT_OPTIONS = _options(
    ("none", "No noticeable result yet.", U),
    ("small", "A small improvement (a little faster, fewer mistakes).", A),
    ("clear", "A clear improvement that others have noticed.", S),
    ("major", "A major improvement for the team or customers.", S),
)
HOURS_OPTIONS = _options(
    ("0", "None", U),
    ("1", "About 1 hour", A),
    ("2", "About 2 hours", A),
    ("4", "About half a day", A),
    ("8", "About a day", S),
    ("16", "About two days", S),
    ("32", "Four days or more", S),
)
CONFIDENCE_OPTIONS = _options(
    ("10", "10 % — a guess", U),
    ("25", "25 %", U),
    ("50", "50 %", A),
    ("75", "75 %", A),
    ("90", "90 % — I measured or tracked it", S),
)
# Phillips isolates the effect of a programme by asking the participant what share of the
# improvement is due to it; without this answer ROI would credit the session with all of it.
ATTRIBUTION_OPTIONS = _options(
    ("0", "None of it: it would have happened anyway", U),
    ("25", "About a quarter", A),
    ("50", "About half", A),
    ("75", "About three quarters", S),
    ("100", "All of it", S),
)
ATTRIBUTION_QUESTION = _q(
    "hours_attribution",
    "How much of that saving is due to the session (rather than other help, tools or practice)?",
    "single",
    4,
    "3A",
    ATTRIBUTION_OPTIONS,
    help_text="Used by the ROI estimate: only this share of the hours counts.",
)


def _follow_up_questions(days: int) -> list[dict[str, Any]]:
    return [
        _q(
            "applied",
            "Have you applied what you learned?",
            "single",
            3,
            "3A",
            APPLIED_OPTIONS,
            help_text="Self-reported transfer to your work.",
        ),
        _q("how_often", "How often do you use it?", "single", 3, "3A", HOW_OFTEN_OPTIONS),
        _q("result", "What result has it had?", "single", 4, "3A", RESULT_OPTIONS),
        _q(
            "result_example",
            "Give an example of the result (optional).",
            "text",
            4,
            "3A",
            required=False,
        ),
        _q(
            "hours_saved",
            "Roughly how many hours a month does it save you?",
            "single",
            4,
            "3A",
            HOURS_OPTIONS,
            help_text="An estimate is fine; the next question asks how sure you are.",
        ),
        _q(
            "hours_confidence",
            "How confident are you in that estimate?",
            "single",
            4,
            "3A",
            CONFIDENCE_OPTIONS,
        ),
        ATTRIBUTION_QUESTION,
        _q(
            "blocker",
            f"After {days} days, what stops you from using it more? (optional)",
            "text",
            3,
            "3A",
            required=False,
        ),
    ]


DEFAULT_TEMPLATES: list[dict[str, Any]] = [
    {
        "family": "after-the-session",
        "name": "After the session",
        "kind": "after_session",
        "anonymous": True,
        "description": "Right after a session: can people apply it, is it relevant, will they "
        "remember it, what support they need. NPS is an optional reputation question.",
        "questions": [
            _q(
                "apply_now",
                "How able are you to apply this now?",
                "single",
                2,
                "3A",
                _options(
                    ("not_at_all", "Not at all: I did not understand enough to use it.", U),
                    (
                        "awareness",
                        "I know it exists, but I'd need more guidance before using it.",
                        U,
                    ),
                    (
                        "with_support",
                        "I can apply it with some support (a colleague, the slides).",
                        A,
                    ),
                    ("on_my_own", "I can apply it on my own in my work.", S),
                    ("expert", "I can apply it expertly and could teach it to others.", S),
                ),
            ),
            _q(
                "relevance",
                "How relevant is it to your work?",
                "single",
                1,
                "3A",
                _options(
                    ("not_relevant", "Not relevant to my work.", U),
                    ("later", "Relevant later, not to what I do now.", A),
                    ("now", "Relevant to what I do now.", A),
                    ("critical", "Critical to what I do now.", S),
                ),
            ),
            _q(
                "remember",
                "How well will you remember it?",
                "single",
                2,
                "3A",
                _options(
                    ("forget", "I will probably have forgotten most of it in a week.", U),
                    ("key_points", "I will remember the key points if I use them soon.", A),
                    ("most", "I will remember most of it, and I have material to go back to.", S),
                ),
            ),
            _q(
                "support",
                "What support will you need to apply it?",
                "multi",
                2,
                "3A",
                _options(
                    ("none", "None: I can start on my own.", S),
                    ("material", "The slides, recording or documentation.", A),
                    ("colleague", "A colleague who has done it before.", A),
                    ("time", "Time set aside by my manager.", A),
                    ("more_training", "More training before I can start.", U),
                ),
                required=False,
            ),
            _q("first_step", "What do you plan to do first?", "text", 2, "3A", required=False),
            _q("improve", "What should be improved?", "text", 1, "3B", required=False),
            _q(
                "reputation_nps",
                "Reputation (optional): how likely are you to recommend this "
                "session to a colleague?",
                "scale",
                1,
                "3B",
                nps_options(),
                required=False,
                help_text="0 = not at all likely, 10 = extremely likely.",
            ),
        ],
    },
    {
        "family": "trainer-retrospective",
        "name": "Trainer retrospective",
        "kind": "retrospective",
        "anonymous": False,
        "description": "For speakers and organisers after a session: what went well, what to "
        "change, and how the hybrid set-up worked for remote attendees. Actions (owner, done) "
        "are kept on the session's results page.",
        "questions": [
            _q("went_well", "What went well?", "text", 1, "2"),
            _q("to_change", "What would you change next time?", "text", 1, "2"),
            _q(
                "hybrid",
                "How well could remote attendees take part?",
                "single",
                1,
                "2",
                _options(
                    ("excluded", "They could hardly follow or take part.", U),
                    ("followed", "They could follow but hardly take part.", U),
                    ("took_part", "They could follow and take part, with some friction.", A),
                    ("equal", "Their experience was as good as in the room.", S),
                    ("no_remote", "There were no remote attendees.", A),
                ),
            ),
            _q(
                "hybrid_notes",
                "What should change in the hybrid set-up? (optional)",
                "text",
                1,
                "2",
                required=False,
            ),
        ],
    },
    {
        "family": "follow-up-7-days",
        "name": "Follow-up after 7 days",
        "kind": "follow_up_7",
        "anonymous": True,
        "description": "A week later: what people remember, and whether they have tried it.",
        "questions": [
            _q(
                "remember",
                "What do you remember from the session?",
                "single",
                2,
                "3A",
                _options(
                    ("nothing", "Hardly anything.", U),
                    ("few", "A few points.", A),
                    ("main_ideas", "The main ideas.", A),
                    ("explain", "Enough to explain it to a colleague.", S),
                ),
            ),
            _q(
                "tried",
                "Have you tried it?",
                "single",
                3,
                "3A",
                _options(
                    ("no_chance", "No, I haven't had the chance.", U),
                    ("no_how", "No, I'm not sure how to start.", U),
                    ("once", "Yes, once.", A),
                    ("several", "Yes, several times.", S),
                ),
            ),
            _q(
                "remember_text",
                "What is the one thing you remember best? (optional)",
                "text",
                2,
                "3A",
                required=False,
            ),
        ],
    },
    {
        "family": "follow-up-30-days",
        "name": "Follow-up after 30 days",
        "kind": "follow_up_30",
        "anonymous": True,
        "description": "A month later: applied or not, how often, with what result, and the "
        "hours it saves (with a confidence percentage, used by the ROI estimate).",
        "questions": _follow_up_questions(30),
    },
    {
        "family": "follow-up-90-days",
        "name": "Follow-up after 90 days",
        "kind": "follow_up_90",
        "anonymous": True,
        "description": "Three months later: has it lasted, and what has it changed?",
        "questions": _follow_up_questions(90),
    },
]


def seed_default_templates(*, template_model: Any, question_model: Any, now: datetime) -> int:
    """Create the shipped templates that are missing; returns how many were created."""
    created = 0
    for spec in DEFAULT_TEMPLATES:
        if template_model.objects.filter(family=spec["family"]).exists():
            continue
        template = template_model.objects.create(
            family=spec["family"],
            version=1,
            is_current=True,
            name=spec["name"],
            description=spec["description"],
            kind=spec["kind"],
            anonymous=spec["anonymous"],
            is_default=not template_model.objects.filter(
                kind=spec["kind"], is_current=True, is_default=True
            ).exists(),
            shipped=True,
            created_at=now,
        )
        question_model.objects.bulk_create(
            question_model(template=template, position=position, **question)
            for position, question in enumerate(spec["questions"], start=1)
        )
        created += 1
    return created
