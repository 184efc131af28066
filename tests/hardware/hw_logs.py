"""The planted answers of the simulated hardware log (importable: tests/hardware is on sys.path)."""

PLANTED = {"friction": 0.4, "payload": 2.0, "delay": 3}
LOG_S = 5.0  # stand, squat, splay until the belly drops (about 4.2 s on a 0.4 floor)
