"""Headless Chromium against pytest-django's live_server, with Debian's chromium and chromedriver.

The driver path is given explicitly, so Selenium Manager never tries to download a browser or a
driver (there is no internet here, nor on the staff networks the product is built for).
live_server serves static files from the finders, as `runserver` does, so CSS and htmx load.
"""

import os

import pytest

pytest.register_assert_rewrite("tests.browser.helpers")

CHROMIUM = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER_BIN", "/usr/bin/chromedriver")
# Chromium calls home for updates, sync and field trials; none of that may leave this machine.
CHROMIUM_ARGUMENTS = [
    "--headless=new",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,1024",
    "--lang=ja",
]


@pytest.fixture(scope="session")
def chromium(tmp_path_factory):
    """One browser for the whole session; `browser` gives each test a clean cookie jar."""
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    if missing:
        message = f"{', '.join(missing)} missing: apt-get install chromium chromium-driver"
        # `make test` installs them, so there a missing browser is a failure, not a skip.
        if os.environ.get("TSUNAGU_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in CHROMIUM_ARGUMENTS:
        options.add_argument(argument)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    if os.geteuid() == 0:
        # Chromium's sandbox refuses to run as root; CI runs as root.
        options.add_argument("--no-sandbox")
    # Japanese first, as the product's users; LocaleMiddleware reads Accept-Language.
    options.add_experimental_option("prefs", {"intl.accept_languages": "ja,en"})

    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def browser(chromium, live_server):
    """The session's Chromium, starting each test logged out."""
    chromium.delete_all_cookies()
    yield chromium
    chromium.delete_all_cookies()
