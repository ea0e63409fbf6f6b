"""--shard K/N: a deck's share depends on its name only; the shares are disjoint and together hold every deck."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from deck2pdf.batch import Shard
from deck2pdf.errors import UsageError

DECKS = [Path(f"talks/talk-{n:03d}.md") for n in range(60)]


def test_shares_are_disjoint_and_cover_every_deck() -> None:
    shares = [Shard(k, 3).of(DECKS) for k in range(3)]
    assert sorted(d for share in shares for d in share) == sorted(DECKS)
    assert all(share for share in shares)  # 60 names spread over all three


def test_a_deck_keeps_its_share_whatever_the_order_or_folder_of_the_arguments() -> None:
    shuffled = DECKS[:]
    random.Random(7).shuffle(shuffled)
    for k in range(3):
        assert set(Shard(k, 3).of(shuffled)) == set(Shard(k, 3).of(DECKS))
        moved = {Path("/elsewhere") / d.name for d in Shard(k, 3).of(DECKS)}
        assert moved == set(Shard(k, 3).of([Path("/elsewhere") / d.name for d in DECKS]))


def test_one_share_is_the_whole_batch() -> None:
    assert Shard.parse("0/1").of(DECKS) == DECKS


@pytest.mark.parametrize("text", ["3/3", "-1/3", "1", "a/b", "1/0", ""])
def test_a_bad_shard_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError, match="--shard"):
        Shard.parse(text)
