"""Fixtures for browser tests: the test app served over HTTP from a background thread, and
Debian's Chromium driven headless by Playwright. Everything has a timeout, so nothing hangs."""

import functools
import threading

import pytest
from werkzeug.serving import make_server

from models import User, db
from models.demo import DEMO_PASSWORD, load_demo
from models.user import _hasher

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 10_000  # for every Playwright action, navigation and expectation


class LiveServer:
    """The app on 127.0.0.1 at a free port, answering from a thread per request."""

    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self.server.shutdown()  # waits for serve_forever to return
        self.server.server_close()  # closes the listening socket: no ResourceWarning
        self.thread.join(timeout=10)

    def load_demo(self):
        """The demo organisation in the test database; its users sign in with DEMO_PASSWORD.
        Argon2 is slow on purpose, so the demo users share one hash of it made per session."""
        demo_hash = _demo_password_hash()

        def set_password(user, password):
            user.password_hash = demo_hash if password == DEMO_PASSWORD else _hasher.hash(password)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(User, "set_password", set_password)
            with self.app.app_context(), db.connection_context():
                return load_demo()


@functools.cache
def _demo_password_hash():
    return _hasher.hash(DEMO_PASSWORD)


@pytest.fixture
def live_server(app):
    server = LiveServer(app)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def demo_password():
    return DEMO_PASSWORD


@pytest.fixture(scope="session")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, timeout=30_000
    )
    yield browser
    browser.close()


@pytest.fixture
def viewport():
    """The page's viewport; a test overrides it with its own fixture or parametrisation."""
    return {"width": 1280, "height": 900}


@pytest.fixture
def page(browser, viewport):
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    context = browser.new_context(viewport=viewport)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()
