"""The NER workbench dashboard: ``streamlit run dashboard`` (entry point ``streamlit_app.py``).

Pages live in ``views/`` (one script per page, kept thin). ``loaders``: cached loaders keyed by
strings; ``widgets``: the shared widgets; ``session``: widget values kept across pages and views
shared as links; ``quickrun``: the quick CPU training run; ``charts``: plotly figure builders.
Tables are pure code in ``nerlib.views.tables``.
"""
