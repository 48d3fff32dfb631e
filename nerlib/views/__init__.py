"""Views: the pure helpers the dashboard draws from (no Streamlit here).

- `spans`: entity spans as escaped HTML (text, words, comparisons, replacements, legend).
- `tables`: pandas tables of runs, checkpoints and errors.
- `confidence`: what an entity's score means (calibrated or not), in the tooltips' words.
- `guards`: checks on visitor input (allowed file roots, checkpoint names, text size, markdown).

May import: every subpackage left of it: `settings`, `data`, `text`, `modeling`, `runs`,
`tagging`, `evaluation`.
"""
