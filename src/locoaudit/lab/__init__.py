"""Labs: controlled experiments over several runs, e.g. the parallelism lab (`locoaudit lab parallelism`)."""
