"""Tagger page (placeholder until its nerlib module lands)."""

import streamlit as st

st.title("Tagger")
st.info("Coming soon.")
