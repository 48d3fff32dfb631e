"""nerlib.localizer with pools on the real offline GloVe 6B 50d: subtypes, pools, variety, pairs, bad input.

Every check looks at what a reader sees: the replacement's own pool (is "Priya" an Indian female
given name?), the text outside the entity spans, the message of an error.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from text_spans import outside, spans

from nerlib.localizer import (
    CURATED,
    SUBTYPES,
    Localizer,
    PoolFileError,
    UnsupportedCountryError,
    analogy_candidates,
    pool_for,
    read_pool_file,
    resolve_country,
    supported_countries,
)
from nerlib.localizer.vectors import load_vectors


@pytest.fixture(scope="module")
def glove():
    return load_vectors()


@pytest.fixture(scope="module")
def india(glove):
    return Localizer(glove, prototypes=None)


def in_pool(name: str, country: str, subtype: str) -> bool:
    pool = pool_for(country, subtype)
    return pool is not None and name.lower() in {n.lower() for n in pool.names}


SUBTYPE_CASES = [
    ("Olivia", "PER", "given-female"), ("Hannah", "PER", "given-female"), ("Thomas", "PER", "given-male"),
    ("Mark", "PER", "given-male"), ("Smith", "PER", "surname"), ("Olivia Parker", "PER", "full-name"),
    ("Texas", "LOC", "state"), ("Nevada", "LOC", "state"), ("Chicago", "LOC", "city"),
    ("Mississippi River", "LOC", "place"), ("Goldman Sachs", "ORG", "company-bank"), ("Delta", "ORG", "company-airline"),
    ("Microsoft", "ORG", "company-tech"), ("Harvard", "ORG", "university"), ("MIT", "ORG", "university"),
    ("New York Times", "ORG", "news"), ("Associated Press", "ORG", "news"), ("FBI", "ORG", "government"),
    ("Senate", "ORG", "government"), ("Republican Party", "ORG", "party"), ("Yankees", "ORG", "sports-club"),
    ("Acme Pharmaceuticals", "ORG", "company-pharma"), ("Springfield University", "ORG", "university"),
    # both a given name and a surname in Faker's en_US: its census frequencies decide
    ("Taylor", "PER", "surname"), ("Jackson", "PER", "surname"), ("James", "PER", "given-male"),
    # generic words may be shared: a "Bank of ..." becomes another "... Bank"
    ("Bank of New York", "ORG", "company-bank"),
]


@pytest.mark.parametrize(("text", "label", "subtype"), SUBTYPE_CASES)
def test_subtype_is_recognised_and_replacement_comes_from_its_pool(india, text, label, subtype):
    record = india.analogue(text, label)
    assert record.subtype == subtype, record.reason
    assert record.changed and record.replacement != text, record.reason
    if subtype == "full-name":
        given, surname = record.replacement.split(" ", 1)[0], record.replacement.split(" ")[-1]
        assert in_pool(given, "india", "given-female") and in_pool(surname, "india", "surname")
    elif subtype == "country":
        assert record.replacement in {n for n in pool_for("india", "country").names}
    else:
        assert in_pool(record.replacement, "india", subtype), (record.replacement, record.pool)
    assert record.pool.startswith("India"), record.pool


def test_usa_becomes_the_target_country(india):
    assert india.analogue("USA", "LOC").replacement == "India"
    assert india.analogue("United States", "LOC").subtype == "country"


def test_gender_is_kept(india):
    for name in ["Sarah", "Emma", "Hannah", "Jessica", "Laura"]:
        record = india.analogue(name, "PER")
        assert record.gender == "female" and in_pool(record.replacement, "india", "given-female"), record
    for name in ["John", "Thomas", "David", "Kevin", "Steven"]:
        record = india.analogue(name, "PER")
        assert record.gender == "male" and in_pool(record.replacement, "india", "given-male"), record


def test_full_name_maps_part_by_part_and_consistently(india):
    text = "Olivia Parker met Ms. Parker's lawyer. PARKER said: parker is right, Olivia."
    entities = spans(text, ("Olivia Parker", "PER"), ("Parker", "PER"), ("PARKER", "PER"), ("parker", "PER"),
                     ("Olivia", "PER"))
    result = india.localize(text, entities)
    full, *others = result.replacements
    given, surname = full.replacement.split(" ")
    assert full.subtype == "full-name"
    assert [r.replacement for r in others] == [surname, surname.upper(), surname.lower(), given]
    assert others[0].subtype == "surname"
    assert outside(text, [(r.start, r.end) for r in result.replacements]) == outside(
        result.text, [(r.new_start, r.new_end) for r in result.replacements])
    assert "Ms. " + surname in result.text


def test_title_inside_the_span_is_kept(india):
    record = india.analogue("Dr. Emily Watson", "PER")
    assert record.replacement.startswith("Dr. ") and record.subtype == "full-name"
    assert in_pool(record.replacement.split(" ")[1], "india", "given-female")


def test_variety_over_thirty_given_names(india):
    names = ("Sarah Emma Hannah Olivia Jessica Emily Ashley Megan Laura Rachel Nicole Amanda Jennifer Elizabeth "
             "Mary Susan Karen Linda Patricia Barbara Michelle Rebecca Heather Stephanie Melissa Kimberly Amy "
             "Angela Julie Katherine").split()
    replacements = [india.analogue(name, "PER").replacement for name in names]
    counts = Counter(replacements)
    assert max(counts.values()) <= 0.2 * len(names), counts
    text = " and ".join(names[:10])
    result = india.localize(text, spans(text, *((n, "PER") for n in names[:10])))
    assert len({r.replacement for r in result.replacements}) == 10  # different entities, different names


def test_different_entities_of_different_subtypes_never_share_a_replacement(glove):
    # "Osaka" is both a Japanese city and a prefecture: a city and a state of one text must not
    # both become it (a reader sees two places merged into one).
    text = "Olivia Parker met John Smith at Microsoft in Seattle. Later, Ms. Parker flew Delta to Texas."
    entities = spans(text, ("Olivia Parker", "PER"), ("John Smith", "PER"), ("Microsoft", "ORG"), ("Seattle", "LOC"),
                     ("Delta", "ORG"), ("Texas", "LOC"))
    for target in ("Japan", "India", "Germany"):
        result = Localizer(glove, target=target, prototypes=None).localize(text, entities)
        replaced = [r.replacement for r in result.replacements if r.changed]
        assert len(replaced) == len(set(replaced)) == len(entities), (target, replaced)


def test_a_title_tagged_as_an_entity_of_its_own_is_kept(india):
    # A real tagger marked "Ms." of "Ms. Parker" as an ORG; it became "Wipro Kapoor".
    text = "Olivia Parker lives in Chicago. Ms. Parker works for Goldman Sachs."
    entities = spans(text, ("Olivia Parker", "PER"), ("Ms.", "ORG"), ("Parker", "PER"), ("Goldman Sachs", "ORG"))
    result = india.localize(text, entities)
    title = next(r for r in result.replacements if r.original == "Ms.")
    assert not title.changed and "only a title" in title.reason
    parker = [r.replacement for r in result.replacements if r.original in {"Olivia Parker", "Parker"}]
    assert result.text.startswith(f"{parker[0]} lives in") and f"Ms. {parker[1]} works for" in result.text
    assert parker[0].endswith(" " + parker[1])


def test_seed_makes_output_reproducible_and_changes_choices(glove):
    names = ["Sarah", "John", "Texas", "Chicago", "Smith", "Microsoft", "Harvard"]
    labels = ["PER", "PER", "LOC", "LOC", "PER", "ORG", "ORG"]
    text = ", ".join(names)
    entities = spans(text, *zip(names, labels))
    first = Localizer(glove, prototypes=None, seed=1).localize(text, entities).text
    again = Localizer(glove, prototypes=None, seed=1).localize(text, entities).text
    other = Localizer(glove, prototypes=None, seed=2).localize(text, entities).text
    assert first == again and first != other


@pytest.mark.parametrize(("source", "target", "cases"), [
    ("USA", "Japan", [("Sarah", "PER", "given-female"), ("Texas", "LOC", "state"), ("Toyota", "ORG", "company-carmaker"),
                      ("Harvard", "ORG", "university")]),
    ("UK", "Brazil", [("Oliver", "PER", "given-male"), ("Manchester", "LOC", "city"), ("Barclays", "ORG", "company-bank"),
                      ("BBC", "ORG", "news")]),
    ("USA", "Germany", [("Smith", "PER", "surname"), ("Ohio", "LOC", "state"), ("Pfizer", "ORG", "company-pharma")]),
    ("India", "USA", [("Priya", "PER", "given-female"), ("Mumbai", "LOC", "city"), ("Infosys", "ORG", "company-tech"),
                      ("Kerala", "LOC", "state")]),
])
def test_other_pairs(glove, source, target, cases):
    localizer = Localizer(glove, source, target, prototypes=None)
    key = resolve_country(target).key
    for text, label, subtype in cases:
        record = localizer.analogue(text, label)
        assert record.subtype == subtype and in_pool(record.replacement, key, subtype), (text, record)
    japanese = Localizer(glove, "USA", "Japan", prototypes=None).analogue("Sarah", "PER").replacement
    assert japanese.isascii()  # romanised, never kanji: the English vectors know no kanji


def test_unsupported_country_is_a_specific_error(glove):
    with pytest.raises(UnsupportedCountryError) as error:
        Localizer(glove, "USA", "Atlantis")
    message = str(error.value)
    assert "'Atlantis'" in message and all(name in message for name in supported_countries())
    with pytest.raises(UnsupportedCountryError, match="'Narnia'"):
        Localizer(glove, "Narnia", "India")


def test_unknown_entity_is_kept_with_a_message_and_the_rest_is_rewritten(india):
    text = "Zyxwvut Qqlmnop met Sarah in Chicago; Xqzvbk stayed at Qqlmnop, and Zyxwvut too."
    entities = spans(text, ("Zyxwvut Qqlmnop", "PER"), ("Sarah", "PER"), ("Chicago", "LOC"), ("Xqzvbk", "PER"),
                     ("Qqlmnop", "ORG"), ("Zyxwvut", "PER"))
    result = india.localize(text, entities)
    unknown, sarah, chicago, stranger, firm, again = result.replacements
    assert not stranger.changed and "'Xqzvbk' is not in the vectors (looked up xqzvbk)" in stranger.reason
    assert "no gazetteer names it" in stranger.reason
    assert not firm.changed and "'Qqlmnop' is not in the vectors" in firm.reason
    assert again.replacement == unknown.replacement.split(" ")[0]  # the same person's given name
    assert sarah.changed and chicago.changed
    # A full name the vectors lack still gets a name of the right kinds, picked from the pools without ranking.
    assert unknown.changed and "not in the vectors" in unknown.reason
    assert outside(text, [(r.start, r.end) for r in result.replacements]) == outside(
        result.text, [(r.new_start, r.new_end) for r in result.replacements])


def test_nothing_outside_entity_spans_changes(india):
    text = "  <b>Goldman Sachs</b>\tand\n\nthe FBI (Texas) -- Sarah's & John's!  "
    entities = spans(text, ("Goldman Sachs", "ORG"), ("FBI", "ORG"), ("Texas", "LOC"), ("Sarah", "PER"),
                     ("John", "PER"))
    result = india.localize(text, entities)
    assert all(r.changed for r in result.replacements)
    assert outside(text, [(r.start, r.end) for r in result.replacements]) == outside(
        result.text, [(r.new_start, r.new_end) for r in result.replacements])


def test_user_pool_files_add_names_and_bad_ones_name_file_and_line(glove, tmp_path):
    folder = tmp_path / "pools"
    folder.mkdir()
    (folder / "india.news.txt").write_text("# my own list\nMalayala Manorama\n\nThe Statesman\n", encoding="utf8")
    localizer = Localizer(glove, prototypes=None, pool_dir=folder)
    assert pool_for("india", "news", localizer.users).names[:2] == ("Malayala Manorama", "The Statesman")
    assert "user file" in localizer.analogue("Boston Globe", "ORG").pool  # a news organisation draws on the user file
    assert any("user file" in localizer.analogue(name, "ORG").pool
               for name in ["Los Angeles Times", "Chicago Tribune", "Newsweek"])

    bad = folder / "india.university.txt"
    bad.write_text("IIT Kanpur\nIIT\tKharagpur\n", encoding="utf8")
    with pytest.raises(PoolFileError) as error:
        Localizer(glove, prototypes=None, pool_dir=folder, strict_pools=True)
    assert (error.value.path, error.value.line) == (str(bad), 2) and f"{bad}, line 2" in str(error.value)
    # By default the bad file is skipped and named; the good one is used and the text still rewritten.
    lenient = Localizer(glove, prototypes=None, pool_dir=folder)
    assert [str(e) for e in lenient.pool_errors] == [f"{bad}, line 2: one name per line, no tabs"]
    text = "Sarah read the Washington Post at Harvard."
    result = lenient.localize(text, spans(text, ("Sarah", "PER"), ("Washington Post", "ORG"), ("Harvard", "ORG")))
    assert all(r.changed for r in result.replacements)
    assert result.warnings == [f"pool file skipped: {bad}, line 2: one name per line, no tabs"]
    assert "IIT Kanpur" not in result.text
    bad.write_text("IIT Kanpur\n12345\n", encoding="utf8")
    with pytest.raises(PoolFileError, match="line 2: '12345' is not a name"):
        read_pool_file(bad)
    bad.write_bytes(b"IIT Kanpur\n\xff\xfe\n")
    with pytest.raises(PoolFileError, match="line 2: not UTF-8"):
        read_pool_file(bad)
    with pytest.raises(PoolFileError, match="unknown subtype 'colleges'"):
        read_pool_file(_write(folder / "india.colleges.txt", "IIT Kanpur\n"))
    with pytest.raises(PoolFileError, match="unsupported country 'atlantis'"):
        read_pool_file(_write(tmp_path / "atlantis.news.txt", "Atlantis Daily\n"))
    with pytest.raises(PoolFileError, match="no names"):
        read_pool_file(_write(tmp_path / "india.party.txt", "# nothing yet\n"))
    with pytest.raises(FileNotFoundError, match="pool folder"):
        Localizer(glove, prototypes=None, pool_dir=tmp_path / "missing")


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf8")
    return path


def test_curated_tables_name_their_source_and_cover_every_organisation_subtype():
    from nerlib.localizer import pools

    for table in sorted(Path(pools.__file__).with_name("data").glob("*.tsv")):
        assert "# source:" in table.read_text(encoding="utf8"), table
    organisation_subtypes = [s for s in SUBTYPES if s.startswith("company-") or s in
                             ("university", "news", "government", "sports-club", "party")]
    for country in CURATED:
        for subtype in organisation_subtypes:
            pool = pool_for(country, subtype)
            assert pool is not None and len(pool) >= 5, (country, subtype)


def test_candidates_table_shows_the_pool(india):
    table = analogy_candidates(india, "Olivia Parker", "PER", topn=5)
    assert set(table["part"]) == {"Olivia", "Parker"} and len(table) == 10
    assert table["pool"].str.startswith("India").all() and table["passes"].all()
    assert analogy_candidates(india, "Zyxwvut", "PER").empty


def test_pools_leave_out_excluded_and_source_looking_names(india):
    female = pool_for("india", "given-female")
    assert "Unni" not in female.names and "Priya" in female.names  # exclusions.tsv; the curated common names
    assert female.source.startswith("curated table names.tsv + Faker en_IN")
    ranked = india.matrices.get("india", "given-male")
    assert not {"Oliver", "Liam", "Harrison", "Andrew"} & set(ranked.names)  # they read as the source's names
    assert len(india.matrices.get("india", "city")) <= 100  # the most populous cities only


def test_common_source_names_are_matched_with_limited_capacity(india):
    matrix = india.matrices.get("india", "state")
    india.shortlister.shortlist("Texas", "state", "LOC")  # builds hubness and the assignment
    assignment = india.matrices.assignment(matrix, "LOC")
    counts = Counter(assignment.values())
    assert len(assignment) >= 40 and max(counts.values()) <= 2  # 50 US states onto 36 Indian states and territories
    # a state's match is its replacement where the match is of about its size (nerlib.localizer.states)
    from nerlib.localizer.states import SIZE_WINDOW, size_of

    fits = [state for state in ("California", "New York", "Ohio", "Oregon", "Iowa", "Maine", "Texas")
            if abs(size_of("india", matrix.names[assignment[state.lower()]]).fraction
                   - size_of("usa", state).fraction) <= SIZE_WINDOW]
    assert fits
    record = india.analogue(fits[0], "LOC")
    assert "pool assignment" in record.reason and record.replacement == matrix.names[assignment[fits[0].lower()]]


def test_docstring_examples_run():
    import doctest

    from nerlib.localizer import countries, pools, rewrite

    for module in (countries, pools, rewrite):
        failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert failures == 0, module.__name__


def test_countries_without_organisation_tables_keep_organisations_and_say_how_to_add_them(glove, tmp_path):
    france = Localizer(glove, "USA", "France", prototypes=None)
    text = "Sarah left Goldman Sachs for Chicago."
    result = france.localize(text, spans(text, ("Sarah", "PER"), ("Goldman Sachs", "ORG"), ("Chicago", "LOC")))
    sarah, bank, city = result.replacements
    assert sarah.changed and in_pool(sarah.replacement, "france", "given-female")
    assert city.changed and in_pool(city.replacement, "france", "city") and not any(c.isdigit() for c in city.replacement)
    assert not bank.changed and "no company-bank pool for France" in bank.reason and "france.company-bank.txt" in bank.reason
    (tmp_path / "france.company-bank.txt").write_text("BNP Paribas\nSociete Generale\nCredit Agricole\n", encoding="utf8")
    with_pool = Localizer(glove, "USA", "France", prototypes=None, pool_dir=tmp_path)
    assert with_pool.analogue("Goldman Sachs", "ORG").replacement in {"BNP Paribas", "Societe Generale", "Credit Agricole"}


def test_localizer_modules_import_each_other_only_at_module_level():
    """A deferred import (inside a function) would hide an import cycle from tests/test_layout.py."""
    import ast

    from nerlib import localizer

    for path in sorted(Path(localizer.__file__).parent.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf8"))
        deferred = [node.module for function in ast.walk(tree) if isinstance(function, ast.FunctionDef)
                    for node in ast.walk(function)
                    if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("nerlib.localizer")]
        assert not deferred, (path.name, deferred)
