"""`python -m bot.cli`: the same command line as `maatjes`."""

from bot.cli import main

main()
