import sys
from pathlib import Path

# The fixture modules are imported as `tests.…`; make that work however pytest is started.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

pytest_plugins = ["tests.telegram_fixtures"]

import pytest  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def shipped_engine(tmp_path_factory: pytest.TempPathFactory):
    """One engine over the shipped knowledge, built once per test session in a fresh data dir."""
    from bot.matcher import Engine

    return Engine.open(REPO_ROOT / "knowledge", tmp_path_factory.mktemp("data"))
