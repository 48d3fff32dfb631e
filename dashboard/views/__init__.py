"""The dashboard pages: one script per page, run by st.navigation (not imported)."""
