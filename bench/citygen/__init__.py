"""Parts of bench/city.py: the simulation of a ticket's life and the word lists of its texts."""
