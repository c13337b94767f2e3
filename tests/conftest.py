import sys
from pathlib import Path

# The fixture modules are imported as `tests.…`; make that work however pytest is started.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

pytest_plugins = ["tests.telegram_fixtures"]
