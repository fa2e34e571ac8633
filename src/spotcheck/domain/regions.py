"""Fengtai's streets and towns (街道、乡镇): the configurable list a subject's region is in.

The list ships in ``data/regions.json`` (24 streets and 2 towns, 2022).  Boundaries change, so
``SPOTCHECK_REGIONS_FILE`` may point at another JSON list of ``{"code", "name"}`` objects.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from spotcheck.domain.errors import ErrorCode, Problems


@dataclass(frozen=True)
class Region:
    code: str
    name: str


class Regions(Mapping[str, Region]):
    def __init__(self, regions: list[Region]) -> None:
        self._by_code = {r.code: r for r in regions}
        if len(self._by_code) != len(regions):
            raise ValueError("region codes must be unique")

    def __getitem__(self, code: str) -> Region:
        return self._by_code[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_code)

    def __len__(self) -> int:
        return len(self._by_code)

    def check(self, p: Problems, field: str, code: str | None) -> None:
        if code is not None and code not in self._by_code:
            p.add(
                ErrorCode.UNKNOWN_REGION,
                field,
                f"{code!r} is not one of the district's {len(self)} streets and towns",
            )

    @classmethod
    def from_json(cls, text: str) -> Regions:
        return cls([Region(code=r["code"], name=r["name"]) for r in json.loads(text)])

    @classmethod
    def load(cls, path: str | None = None) -> Regions:
        if path:
            return cls.from_json(Path(path).read_text("utf-8"))
        ref = resources.files("spotcheck.domain") / "data" / "regions.json"
        return cls.from_json(ref.read_text("utf-8"))
