"""The shipped quadruped_flat.toml with test edits: the common start of the command-line tests' manifests."""

from importlib import resources


def quadruped_flat_toml(edits: list[tuple[str, str]]) -> str:
    """quadruped_flat.toml's text with each (old, new) edit applied; every old text must be in it."""
    text = resources.files("locoaudit.manifests").joinpath("quadruped_flat.toml").read_text()
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    return text
