"""街道、乡镇 Fengtai's streets and towns: the configured list a subject's region comes from."""

from __future__ import annotations

import strawberry

from spotcheck.api.context import Context
from spotcheck.domain.regions import Region


@strawberry.type(
    name="Region", description="街道、乡镇 A street or town of the district (a subject's region)."
)
class RegionType:
    code: str = strawberry.field(description="Code, e.g. `fangzhuang`.")
    name: str = strawberry.field(description="Name, e.g. 方庄街道.")

    @classmethod
    def of(cls, region: Region) -> RegionType:
        return cls(code=region.code, name=region.name)


def region_of(info: strawberry.Info[Context, None], code: str) -> RegionType:
    """The region with this code; a code the configured list no longer has shows as its name."""
    region = info.context.regions.get(code)
    return RegionType.of(region) if region is not None else RegionType(code=code, name=code)


@strawberry.type
class RegionQueries:
    @strawberry.field(
        description="街道、乡镇 The district's streets and towns, as configured (public)."
    )
    def regions(self, info: strawberry.Info[Context, None]) -> list[RegionType]:
        return [RegionType.of(r) for r in info.context.regions.values()]
