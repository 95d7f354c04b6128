"""Zone levels, from outside any zone to national, as the small integers the model keeps per zone and run.

A zone is *official* (its firms count for "in the zones" targets and may claim zone-scoped levers) from the
municipal level up; a candidate park is not yet a zone (zone_creation in the scenario decides when it becomes
one). Source: the plans' wording (国家级/省级/市级高新区, 创建); the order is the approval ladder.
"""

from __future__ import annotations

ZONE_LEVELS = ("outside", "candidate", "municipal", "provincial", "national")
LEVEL_CODE = {name: i for i, name in enumerate(ZONE_LEVELS)}
OUTSIDE, CANDIDATE, MUNICIPAL, PROVINCIAL, NATIONAL = range(len(ZONE_LEVELS))
#: Zones at this level or above are official high-tech zones.
OFFICIAL_MIN_LEVEL = MUNICIPAL
