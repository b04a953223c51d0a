"""Browser support for the console's tests (tests/e2e/test_console_*.py): Debian's Chromium driven by Selenium
through Debian's chromedriver — named explicitly, so Selenium Manager never downloads a driver — logging in with
the development login, and a screenshot at each step kept under test-artifacts/console/."""

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

from testkit.environment import PROJECT

ARTIFACTS = PROJECT / "test-artifacts" / "console"
WAIT_SECONDS = 20


def browser_binaries() -> tuple[str, str]:
    """Chromium and chromedriver (scripts/system-deps.sh); skipped without them, failed with
    INCIDENTFLOW_REQUIRE_BROWSER=1 (CI)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if chromium and driver:
        return chromium, driver
    reason = "chromium and chromedriver are not installed (scripts/system-deps.sh: chromium chromium-driver)"
    if os.environ.get("INCIDENTFLOW_REQUIRE_BROWSER") == "1":
        pytest.fail(f"INCIDENTFLOW_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


class Browser:
    """One person's browser on the console at `base_url`; `name` prefixes its screenshots."""

    def __init__(self, driver: webdriver.Chrome, base_url: str, name: str):
        self.driver, self.base_url, self.name = driver, base_url, name
        self.shots: list[Path] = []

    def open(self, path: str) -> None:
        self.driver.get(self.base_url + path)

    @property
    def path(self) -> str:
        return self.driver.current_url.removeprefix(self.base_url)

    def log_in(self, person: str) -> None:
        """As a person arrives: the console sends them to the development login, they pick `person`, and they
        land back on the console's incident list."""
        self.open("/")
        self.wait(lambda d: "/auth/dev-login?next=" in d.current_url, "the redirect to the development login")
        self.driver.find_element(By.CSS_SELECTOR, f'button[name="person"][value="{person}"]').click()
        self.wait(lambda d: d.current_url.rstrip("/") == self.base_url, f"{person} logged in, back on the console")

    def shot(self, step: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^a-z0-9]+", "-", step.lower()).strip("-")
        path = ARTIFACTS / f"{self.name}-{len(self.shots) + 1:02d}-{slug}.png"
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        width = self.driver.get_window_size()["width"]
        self.driver.set_window_size(width, min(max(height + 140, 600), 6000))  # the whole page in one picture
        self.driver.save_screenshot(str(path))
        self.shots.append(path)
        return path

    def wait(self, condition, what: str, timeout: float = WAIT_SECONDS):
        try:
            return WebDriverWait(self.driver, timeout, ignored_exceptions=[StaleElementReferenceException]).until(
                condition)
        except TimeoutException:
            raise AssertionError(f"{self.name}: {what} not seen within {timeout:g} s at {self.path}; the page "
                                 f"says:\n{self.text('main')[:3000]}") from None

    def element(self, css: str) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def elements(self, css: str) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def text(self, css: str) -> str:
        found = self.elements(css)
        return found[0].text if found else ""

    def wait_text(self, css: str, expected: str, timeout: float = WAIT_SECONDS) -> str:
        """The text of `css` once it contains `expected`."""
        return self.wait(lambda _d: expected in self.text(css) and self.text(css), f"{expected!r} in {css}", timeout)

    def press(self, action: str) -> None:
        """Press the button of a control (`data-action`)."""
        self.element(f'button[data-action="{action}"]').click()

    def fill(self, css: str, value: str) -> None:
        field = self.element(css)
        field.clear()
        if value:
            # long texts through JavaScript: send_keys types them one key at a time
            if len(value) > 200:
                self.driver.execute_script("arguments[0].value = arguments[1];", field, value)
            else:
                field.send_keys(value)

    def choose(self, css: str, value: str) -> None:
        Select(self.element(css)).select_by_value(value)

    def mark_page(self) -> None:
        """A marker on the loaded document: `reloaded()` says whether the page was loaded again since."""
        self.driver.execute_script("window.__notReloaded = true;")

    def reloaded(self) -> bool:
        return not self.driver.execute_script("return window.__notReloaded === true;")

    def horizontal_overflow(self) -> int:
        """How many CSS pixels the page is wider than the viewport (0: no horizontal scroll)."""
        return self.driver.execute_script(
            "return Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
            " - document.documentElement.clientWidth;")


@contextmanager
def chromium(base_url: str, name: str, width: int = 1280, height: int = 900, mobile: bool = False) -> Iterator[Browser]:
    """Headless Chromium reaching nothing but loopback; `mobile` emulates a phone's viewport of `width` CSS px."""
    binary, driver_path = browser_binaries()
    options = Options()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     f"--window-size={width},{height}", "--proxy-server=127.0.0.1:9",
                     "--proxy-bypass-list=127.0.0.1", "--lang=ko-KR", "--no-first-run"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:
        if mobile:
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                   {"width": width, "height": height, "deviceScaleFactor": 2, "mobile": True})
        yield Browser(driver, base_url, name)
    finally:
        driver.quit()


# A runbook every Sev1 of `payments` runs: a human approves first, then the team is told (no tool is called)
APPROVAL_RUNBOOK = """\
name: payments-rollback-check
description: "Console test: a human approves the rollback plan, then the team is told"
match: {services: [payments], severities: [sev1]}
steps:
  - id: confirm-rollback
    kind: approval
    description: Confirm the rollback plan
    with: {prompt: "Roll back the last deploy?"}
  - id: tell-team
    kind: notify
    description: Tell the incident room
    with: {text: "rollback plan approved"}
"""


@contextmanager
def console_stack(temporal_address: str, workdir: Path, shared_ledger: bool = False):
    """What `incident dev` runs, for the console's tests: a worker process on the shipped policy (pages recorded)
    with the approval runbook above, and the gateway with the development login on a free loopback port.
    `shared_ledger`: the gateway reads the worker's ledger (postmortems, action items), as `incident dev` does."""
    from testkit.environment import POLICY_DIR
    from testkit.gateway import served
    from testkit.processes import WorkerProcess, stack_env

    runbook_dir = workdir / "runbooks"
    runbook_dir.mkdir(parents=True, exist_ok=True)
    (runbook_dir / "payments-rollback-check.yaml").write_text(APPROVAL_RUNBOOK, encoding="utf-8")
    env = stack_env(temporal_address, workdir, queue_prefix="console", INCIDENTFLOW_POLICY_DIR=str(POLICY_DIR),
                    INCIDENTFLOW_RUNBOOK_DIR=str(runbook_dir))
    env.pop("INCIDENTFLOW_DATABASE_URL", None)  # the worker's ledger: SQLite in its data dir
    worker = WorkerProcess(env, workdir / "worker.log")
    worker.start()
    try:
        ledger = {"database_url": f"sqlite:///{Path(env['INCIDENTFLOW_DATA_DIR']) / 'ledger.sqlite3'}"} if (
            shared_ledger) else {}
        with served(temporal_address, env["INCIDENTFLOW_TASK_QUEUE"], dev_login=True, policy_dir=POLICY_DIR,
                    runbook_dir=runbook_dir, **ledger) as gateway:
            yield gateway
    finally:
        worker.stop()
