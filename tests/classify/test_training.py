"""Corrections → retrain → promote; a worse version is kept aside; rollback restores the previous."""

from portal.classify import versions
from portal.classify.infer import load_classifier
from portal.classify.train import train

PARKING = [
    "plus aucune place pour se garer devant la mairie, le parking est plein dès 8h",
    "the car park at the town hall is always full, nowhere to park",
    "stationnement impossible près de la préfecture, j'ai pris une amende en allant au rdv",
    "parking réservé aux agents, les usagers doivent se garer à 1 km",
    "no parking spaces for disabled visitors in front of the office",
    "le parking visiteurs est fermé depuis les travaux",
]


def _corrections():
    return [(t, {"sentiment": "negative", "topics": ["access", "parking"], "urgent": False, "flags": []})
            for t in PARKING]


def test_corrections_retrain_promote_and_rollback(tmp_path, encoder):
    data_dir = tmp_path
    first = train(data_dir, encoder, promote_tolerance=1.0)  # a baseline version, whatever it scores
    assert first.promoted and versions.current_version(data_dir) == first.version
    assert (first.folder / "metrics.json").is_file()
    assert first.metrics["sentiment"]["macro_f1"] > 0.5
    assert first.metrics["backend"] == encoder.backend == "onnx-int8"  # heads fit the features they get
    before = load_classifier(data_dir, encoder=encoder)
    assert "parking" not in before.topic_names

    # Held out here are only the 29 seed texts (no CSV): one text changing its label moves
    # macro-F1 by a few points, so the bar is "not worse" within that noise.
    second = train(data_dir, encoder, corrections=_corrections(), promote_tolerance=0.05)

    assert second.promoted, second.reason
    assert versions.current_version(data_dir) == second.version
    after = load_classifier(data_dir, encoder=encoder)
    labels = after.classify(PARKING)
    assert sum("parking" in label["topics"] for label in labels) >= 5
    assert all(second.version in label["model_version"] for label in labels)

    # A version that does not reach the bar is saved but kept aside (bar raised past any score).
    third = train(data_dir, encoder, corrections=_corrections(), promote_tolerance=-1.0)
    assert not third.promoted, third.reason
    assert third.metrics["current_version"]["version"] == second.version
    assert versions.current_version(data_dir) == second.version

    assert versions.rollback(data_dir) == first.version
    assert "parking" not in load_classifier(data_dir, encoder=encoder).topic_names

