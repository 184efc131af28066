"""Shipped log mappings (TOML): how robot logs map onto the models (see traces/mapping.py)."""
