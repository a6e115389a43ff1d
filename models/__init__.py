"""Recipes that build the model files in models/int8/ (build-time only, never on the device)."""
