"""`python -m contentkit` runs the command line."""

from contentkit.cli import main

main()
