"""Training page (placeholder until its nerlib module lands)."""

import streamlit as st

st.title("Training")
st.info("Coming soon.")
