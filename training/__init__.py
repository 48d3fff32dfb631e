"""Training script for the NER workbench: ``python -m training.train`` (see training/train.py)."""
