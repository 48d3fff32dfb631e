"""Views: the pure helpers the dashboard draws from (no Streamlit here).

- `spans`: entity spans as escaped HTML (text, words, comparisons, replacements, legend).
- `tables`: pandas tables of runs, checkpoints and errors.
- `confidence`: what an entity's score means (calibrated or not), in the tooltips' words.
- `guards`: checks on visitor input (allowed file roots, checkpoint names, text size, markdown).
- `corrections`: a visitor's fixes of a tagged result (span edits kept valid IOB2, the corrected
  JSON and CoNLL).
- `search`: searching a CoNLL split (text, entity by text and type), hits, subset statistics,
  a sentence's document and its token table.

May import: every subpackage left of it: `settings`, `data`, `text`, `modeling`, `runs`,
`tagging`, `evaluation`.
"""
