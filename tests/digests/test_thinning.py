"""A busy period's similar-comment groups read one comment in k, the same sample in every period (docs/capacity.md)."""

from __future__ import annotations

import portal.digests.emerging as emerging
from portal.digests.content import build_digest
from portal.digests.emerging import GROUP_SAMPLE, thinning
from portal.digests.render import render_digest
from portal.store import digest_content
from tests.digests.test_content import WEEK, load_spike_and_flat


def test_thinning_keeps_every_comment_up_to_the_sample_size():
    assert thinning(0) == 1 and thinning(GROUP_SAMPLE) == 1
    assert thinning(GROUP_SAMPLE + 1) == 2
    assert thinning(32_000) == 8  # the busiest service's week at 10 million rows


async def test_a_thinned_read_is_a_stable_sample_of_every_period(db):
    spike, flat = await load_spike_and_flat()
    starts = [WEEK.previous(n).start for n in range(8, 0, -1)] + [WEEK.start]
    every = await digest_content.comment_embeddings([spike["id"], flat["id"]], starts, WEEK.end)
    third = await digest_content.comment_embeddings([spike["id"], flat["id"]], starts, WEEK.end, 3)
    again = await digest_content.comment_embeddings([spike["id"], flat["id"]], starts, WEEK.end, 3)
    ids, sample = {r["id"] for r in every}, [r["id"] for r in third]
    assert len(every) == 51 and set(sample) <= ids and sorted(sample) == sorted(r["id"] for r in again)
    assert 0 < len(sample) < len(every)
    assert {r["bucket"] for r in third} - {r["bucket"] for r in every} == set()


async def test_a_thinned_group_counts_its_sample_times_k(db, monkeypatch):
    spike, _ = await load_spike_and_flat()
    exact = await build_digest(["impots"], WEEK, "fr", "https://guichet.example.fr")
    assert [i.count for i in exact.overall.emerging if i.kind == "group"] == [12]
    monkeypatch.setattr(emerging, "GROUP_SAMPLE", 6)  # 12 comments this week: one in two read
    thinned = await build_digest(["impots"], WEEK, "fr", "https://guichet.example.fr")
    starts = [WEEK.previous(n).start for n in range(8, 0, -1)] + [WEEK.start]
    read = [r for r in await digest_content.comment_embeddings([spike["id"]], starts, WEEK.end, 2) if r["bucket"] == 8]
    groups = [i.count for i in thinned.overall.emerging if i.kind == "group"]
    assert groups == ([len(read) * 2] if len(read) >= emerging.MIN_COUNT else []), (groups, len(read))


async def test_a_thinned_group_says_its_figures_are_estimates(db, monkeypatch):
    await load_spike_and_flat()
    monkeypatch.setattr(emerging, "GROUP_SAMPLE", 6)  # one comment in two read
    for language, words in (("fr", "estimé sur un commentaire sur 2"), ("en", "estimated from one comment in 2")):
        digest = await build_digest(["impots"], WEEK, language, "https://guichet.example.fr")
        groups = [i for i in digest.overall.emerging if i.kind == "group"]
        rendered = render_digest(digest, unsubscribe="https://guichet.example.fr/u", archive=None, frequency="weekly")
        for group in groups:
            assert group.one_in == 2
            assert words in rendered.html and words in rendered.text
            assert f"{group.rise.current * 2} " in rendered.text
    monkeypatch.setattr(emerging, "GROUP_SAMPLE", GROUP_SAMPLE)  # every comment read: exact figures
    exact = await build_digest(["impots"], WEEK, "fr", "https://guichet.example.fr")
    plain = render_digest(exact, unsubscribe="https://guichet.example.fr/u", archive=None, frequency="weekly")
    assert "estimé sur" not in plain.text and [i.one_in for i in exact.overall.emerging if i.kind == "group"] == [1]
