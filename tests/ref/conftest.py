import sys
from pathlib import Path

# The reference tests share small helpers (test_gradcheck.randomize) by plain import.
sys.path.insert(0, str(Path(__file__).parent))
