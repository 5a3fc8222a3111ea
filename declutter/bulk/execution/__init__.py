"""What runs the work over a run's tasks: the local process pool, Dask, and the
work function each worker calls on one task."""
