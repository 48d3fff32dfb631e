"""Localizer: rewrite a text from one cultural context to another with word vectors.

Public API (stable; the dashboard codes against it):

    load_vectors(source=None) -> KeyedVectors                  # in nerlib.vectors
    Localizer(vectors, source="USA", target="India", *, anchors=None,
              types=("PER", "LOC", "ORG"), prototypes="conllpp", vocab_limit=100_000,
              topn=10, candidates=200)
    Localizer.localize(text, entities) -> Localization          # entities: objects with
                                                                # .label/.start/.end or (start, end, label)
    Localizer.analogue(entity_text, label) -> Replacement       # one entity, no text around it
    neighbours(vectors, text, topn=10, vocab_limit=100_000) -> DataFrame   # rank, word, score
    analogy_candidates(localizer, text, label, topn=10) -> DataFrame
        # rank, candidate, score, analogy, type_score, country_score, passes, reason
    Localization(text, original, source, target, replacements: list[Replacement]).to_frame()
    Replacement(label, start, end, original, replacement, new_start, new_end, changed, score,
                key, neighbours: list[tuple[str, float]], reason)

Work in progress: the implementation lands below.
"""
