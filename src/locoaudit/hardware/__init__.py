"""Hardware logs on the command line: `locoaudit import` and `locoaudit reproduce`."""
