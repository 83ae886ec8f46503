"""What every browser test shares: the system Chromium, where screenshots go, the test password.
The `browser` fixture itself is in tests/conftest.py."""

from pathlib import Path

CHROMIUM = "/usr/bin/chromium"  # Debian's package; Playwright's own download is never used
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
OUT = Path(__file__).resolve().parent.parent / "test-output"
PASSWORD = "pw-for-tests-1"  # tests.factories.UserFactory's
