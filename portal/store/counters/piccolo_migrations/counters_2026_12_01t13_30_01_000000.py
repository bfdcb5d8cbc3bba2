"""The chips visitors tapped before their topics counted: made the visitor's own effective topics of their feedback."""

from portal.store.ddl import TablesThenStatements

ID = "2026-12-01T13:30:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "backfill of the visitor's topics from kiosk_choice into feedback_topic"

# portal/feedback/chips.py CHIP_TOPICS as it was written with this migration, plus the portal's own
# topics, which a question set may name directly. Chips naming nothing known count for no topic.
_TOPIC_OF_CHIP = (
    "CASE chip WHEN 'attente' THEN 'responsiveness' WHEN 'accueil' THEN 'relation' "
    "WHEN 'information' THEN 'information' WHEN 'locaux' THEN 'access' WHEN 'horaires' THEN 'access' "
    "WHEN 'access' THEN 'access' WHEN 'relation' THEN 'relation' WHEN 'responsiveness' THEN 'responsiveness' "
    "WHEN 'simplicity' THEN 'simplicity' WHEN 'digital' THEN 'digital' END"
)
_CHIPS = {
    "sqlite": "SELECT kc.feedback AS feedback, j.value AS chip FROM kiosk_choice kc, json_each(kc.topics) j",
    "postgres": "SELECT kc.feedback AS feedback, j.chip AS chip FROM kiosk_choice kc "
                "CROSS JOIN LATERAL json_array_elements_text(kc.topics::json) AS j(chip)",
}


def statements(dialect: str) -> tuple[str, ...]:
    """The backfill on one engine: a topic the labels gave too becomes the visitor's, the others are added."""
    tapped = f"(SELECT DISTINCT c.feedback AS feedback, {_TOPIC_OF_CHIP} AS topic FROM ({_CHIPS[dialect]}) c) t"
    return (
        f"UPDATE feedback_topic SET source = 'visitor' WHERE source = 'label' AND EXISTS (SELECT 1 FROM {tapped} "
        "WHERE t.feedback = feedback_topic.feedback AND t.topic = feedback_topic.topic)",
        f"INSERT INTO feedback_topic (feedback, topic, score, source) SELECT t.feedback, t.topic, 1.0, 'visitor' "
        f"FROM {tapped} WHERE t.topic IS NOT NULL AND NOT EXISTS (SELECT 1 FROM feedback_topic ft "
        "WHERE ft.feedback = t.feedback AND ft.topic = t.topic)",
    )


async def forwards():
    return TablesThenStatements(
        migration_id=ID, app_name="counters", description=DESCRIPTION,
        sqlite_statements=statements("sqlite"), postgres_statements=statements("postgres"),
    )
