"""``python -m assembly`` runs the ``assembly`` command line."""

from assembly.cli import main

main()
