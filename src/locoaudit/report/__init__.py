"""The HTML report of a run or a lab: one self-contained file with embedded PNG plots and filmstrips."""
