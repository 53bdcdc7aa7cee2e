"""`python3 SCRIPTS/cpt COMMAND ...` or `python3 -m cpt COMMAND ...`: see cli.py."""

import os
import sys

if not __package__:
    # Run as a folder (python3 SCRIPTS/cpt): Python put the folder itself first on sys.path; the package is
    # imported from its parent instead, and nothing else from the folder.
    sys.path[0] = os.path.dirname(os.path.abspath(sys.path[0]))

from cpt.cli import main  # noqa: E402

sys.exit(main(sys.argv[1:]))
