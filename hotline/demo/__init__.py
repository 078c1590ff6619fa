"""Demo data: a small city written by this project, for trying the product locally."""
