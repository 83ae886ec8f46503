"""What every browser test shares: the system Chromium, where screenshots go, the test password.
The `browser` fixture itself is in tests/conftest.py."""

import time
from pathlib import Path

import pytest

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
# A browser test's marks: Chromium against a live server, whose requests see only committed rows.
BROWSER_TEST = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Every page of a browser test runs under the production Content-Security-Policy (test settings
# send it); a violation fails the test. The page reports each one on its console: Chromium's own
# "Refused to ..." message, and the securitypolicyviolation event that this script logs.
# page.wait_for_function() evals its expression inside the page, which the CSP refuses (EvalError):
# wait with playwright's expect(locator) (to_have_count, to_contain_text, ...) or wait_until().
CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline")
    + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


class CspWatchedBrowser:
    """A Playwright Browser whose contexts record every Content-Security-Policy violation."""

    def __init__(self, browser):
        self._browser = browser
        self.violations: list[str] = []

    def __getattr__(self, name):
        return getattr(self._browser, name)

    def _record(self, message) -> None:
        text = message.text
        if message.type == "error" and ("Content Security Policy" in text or "CSP" in text):
            self.violations.append(f"{message.location.get('url', '')}: {text}")

    def new_context(self, **kwargs):
        context = self._browser.new_context(**kwargs)
        context.add_init_script(CSP_REPORTER)
        context.on("console", self._record)
        return context

    def new_page(self, **kwargs):
        return self.new_context(**kwargs).new_page()

    def assert_no_violations(self) -> None:
        assert not self.violations, "Content-Security-Policy violations:\n" + "\n".join(
            self.violations
        )


def wait_until(page, expression: str, *, arg=None, timeout: float = 5_000) -> None:
    """Wait until a JavaScript expression is truthy in the page, as page.wait_for_function() does,
    but asked from outside the page (page.evaluate is not subject to the page's CSP)."""
    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(expression, arg):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout / 1000:g} s: {expression}")
        time.sleep(0.05)


def sign_in(page, server, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login form. `server`: a base URL, or a live server (its .url)."""
    base = getattr(server, "url", server)
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
