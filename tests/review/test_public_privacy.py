"""Public pages never carry a tracking reference nor the citizen's unredacted text, published items included."""

from portal.feedback.reference import PATTERN, normalise_reference
from portal.review.publication import publish
from portal.store.core.tables import Feedback
from portal.store.workspace.tables import Publication
from tests.factories import create_feedback, create_service
from tests.review.staff import create_staff, csrf_of

# What the redaction cannot see (a name, a street, a child and their birth date, an agent) next to what it can.
CITIZEN_TEXT = ("Je suis Claire Moreau, 12 rue des Lilas. Mon fils Théo, né le 3 mars 2019, attend son passeport ; "
                "l'agent M. Besson ne rappelle pas au 06 12 34 56 78.")
MODERATED = "Un passeport attendu depuis trois mois ; personne ne rappelle."


def _shows(html: str, reference: str) -> bool:
    """The reference in any form the tracking page would accept: printed, compact, without its prefix, any case."""
    compact = reference.replace("-", "")
    folded = html.upper()
    return any(form in folded for form in (reference, compact, compact[3:], reference[4:]))


async def test_published_items_show_no_reference_and_no_unredacted_text(client):
    service = await create_service(code="titres", name_fr="Titres d'identité")
    agent = await create_staff("agent", services=[service])
    moderated = await create_feedback(service, text=CITIZEN_TEXT, rating=1)
    as_redacted = await create_feedback(service, text="Rappelez-moi au 06 98 76 54 32, dossier bloqué.", rating=2)
    await Feedback.update({Feedback.public_answer: "Le passeport est prêt au guichet 2."}).where(
        Feedback.id == moderated.feedback_id)
    staff = {**agent, "services": {service["id"]: "agent"}}
    await publish(staff, {"id": moderated.feedback_id, "service": service["id"]}, MODERATED)
    await publish(staff, {"id": as_redacted.feedback_id, "service": service["id"]})
    references = {moderated.reference, as_redacted.reference}
    assert all(normalise_reference(r) == r for r in references)
    originals = [row["text"] for row in await Feedback.select(Feedback.text)]

    listing = await client.get("/s/titres/results")
    # The page really shows both items, and their answer.
    assert MODERATED in listing.text and "dossier bloqué" in listing.text and "guichet 2" in listing.text
    pub = (await Publication.select(Publication.id).where(Publication.feedback == moderated.feedback_id).first())["id"]
    voted = await client.post(f"/s/titres/results/{pub}/me-too", data={"csrf_token": csrf_of(listing.text)}, follow_redirects=True)
    again = await client.post(f"/s/titres/results/{pub}/me-too", data={"csrf_token": csrf_of(listing.text)})
    assert voted.status_code == 200 and again.status_code == 409
    pages = {
        "home": await client.get("/"),
        "service page": await client.get("/s/titres"),
        "results": listing,
        "results (en)": await client.get("/s/titres/results?lang=en"),
        "after me too": voted,
        "me too refused": again,
    }
    for name, page in pages.items():
        html = page.text
        assert not PATTERN.search(html), name
        assert not [r for r in references if _shows(html, r)], name
        for original in originals:
            assert original not in html, name
        for fragment in ("Claire Moreau", "rue des Lilas", "3 mars 2019", "Besson", "06 12 34", "06 98 76"):
            assert fragment not in html, (name, fragment)
