"""Name parts for the demo catalogue: surnames, given-name characters, trade names, roads
(read from ``data/names.json``).

Every name made from these parts is fictitious; any likeness to a real person or business is
chance.  The functions take the caller's ``random.Random`` so the catalogue stays deterministic.
"""

from __future__ import annotations

import random
from importlib import resources

import msgspec


class _Names(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """data/names.json."""

    surnames: dict[str, int]
    """Common surnames with rough relative frequencies (the most frequent first)."""
    given_characters: str
    trade_characters: str
    """Characters businesses like in their trade name (字号), each once."""
    known_roads: dict[str, tuple[str, ...]]
    """Real district roads, by region code, where the catalogue is confident of the street they
    run through; other road names are made from a region's short name."""
    road_suffixes: tuple[str, ...]


_NAMES = msgspec.json.decode(
    (resources.files("spotcheck.demo") / "data" / "names.json").read_bytes(), type=_Names
)

SURNAMES: tuple[tuple[str, int], ...] = tuple(_NAMES.surnames.items())
_SURNAME_CHOICES = tuple(s for s, _ in SURNAMES)
_SURNAME_WEIGHTS = tuple(w for _, w in SURNAMES)
GIVEN_CHARACTERS = _NAMES.given_characters
TRADE_CHARACTERS = "".join(dict.fromkeys(_NAMES.trade_characters))  # each character once
KNOWN_ROADS: dict[str, tuple[str, ...]] = _NAMES.known_roads
_ROAD_SUFFIXES = _NAMES.road_suffixes


def person(rng: random.Random) -> str:
    """A realistic (fictitious) Chinese personal name: surname and one or two characters."""
    surname = rng.choices(_SURNAME_CHOICES, _SURNAME_WEIGHTS)[0]
    count = 2 if rng.random() < 0.7 else 1
    return surname + "".join(rng.choice(GIVEN_CHARACTERS) for _ in range(count))


def trade_name(rng: random.Random) -> str:
    """A two-character trade name (字号), sometimes three."""
    count = 3 if rng.random() < 0.12 else 2
    chars = rng.sample(TRADE_CHARACTERS, count)
    return "".join(chars)


def road(rng: random.Random, region_code: str, region_name: str) -> str:
    """A road in the region: a known one or one named after the region (fictitious)."""
    known = KNOWN_ROADS.get(region_code, ())
    if known and rng.random() < 0.6:
        return rng.choice(known)
    short = region_name.removesuffix("街道").removesuffix("镇")
    return short + rng.choice(_ROAD_SUFFIXES)
