"""The NER workbench dashboard: ``streamlit run dashboard`` (entry point ``streamlit_app.py``).

Pages live in ``views/`` (one script per page, kept thin); cached loaders and the quick-run
launcher live in ``state``; plotly figure builders in ``charts``.
"""
