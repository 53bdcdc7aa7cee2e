"""The round trip against neuronx-distributed's own code: scripts/nxd-roundtrip.py is the entry and says what it
checks and why. Its modules read cluster/training/tests/nxd_recordings.py and the package cluster/training/cpt: both
folders go on sys.path here, before any of them is imported."""

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
TRAINING = REPO / "cluster" / "training"
sys.path.insert(0, str(TRAINING / "tests"))
sys.path.insert(0, str(TRAINING))
