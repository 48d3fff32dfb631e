"""The subtypes the localizer tells apart, by entity type, and which pool stands in for a subtype without one.

The one home of these tables: recognition (`nerlib.localizer.subtypes`), the pools and pool files
(`nerlib.localizer.pools`) and the localizer's choice of a pool all read them here.

>>> COMPANY_SECTORS[:2]
('company-bank', 'company-airline')
>>> pool_subtypes("company-bank")
('company-bank', 'company')
>>> pool_subtypes("given-female")
('given-female', 'given')
"""

from __future__ import annotations

__all__ = [
    "SECTORS",
    "COMPANY_SECTORS",
    "PER_SUBTYPES",
    "LOC_SUBTYPES",
    "ORG_SUBTYPES",
    "SUBTYPES",
    "PARENT",
    "pool_subtypes",
]

#: Company sectors: each has its own subtype ``company-<sector>`` (a bank becomes a bank).
SECTORS = ("bank", "airline", "carmaker", "tech", "pharma", "retail", "energy", "telecom")
#: The sector subtypes; where a country has no pool of a sector, its companies of every sector stand in.
COMPANY_SECTORS = tuple(f"company-{sector}" for sector in SECTORS)
PER_SUBTYPES = ("given-female", "given-male", "given", "surname", "full-name")
LOC_SUBTYPES = ("city", "state", "country", "place")
ORG_SUBTYPES = (*COMPANY_SECTORS, "company", "university", "news", "government", "sports-club", "sports-league",
                "party",
                "organisation")
#: Every subtype, by type; the names of pool files use these.
SUBTYPES = (*PER_SUBTYPES, *LOC_SUBTYPES, *ORG_SUBTYPES)
#: A subtype without a pool of its own uses its parent's pool.
PARENT = {"given-female": "given", "given-male": "given", "organisation": "company", "sports-league": "sports-club",
          **{subtype: "company" for subtype in COMPANY_SECTORS}}


def pool_subtypes(subtype: str) -> tuple[str, ...]:
    """Return the subtypes whose pool may serve `subtype`, its own first, then its parent's.

    Parameters
    ----------
    subtype : str
        A subtype of `SUBTYPES` (any other string has only itself).

    Returns
    -------
    tuple of str
        `subtype`, then each parent in turn (see `PARENT`).
    """
    chain = [subtype]
    while chain[-1] in PARENT:
        chain.append(PARENT[chain[-1]])
    return tuple(chain)
