"""Local mode's API page, ``/_docs``, in a real headless browser (Debian's chromium).

The page must render every route of the service's OpenAPI document from assets served
by local mode itself (the browser runs with no network beyond loopback), and a POST
made from the page, as a person would make it, must create an item.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websocket  # websocket-client: the Chrome DevTools Protocol runs over a WebSocket

from cdk_serverless_crud.local.server import RunningService

from .conftest import Client

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
#: CI installs chromium and sets this, so that the browser tests cannot be skipped there.
REQUIRED = os.environ.get("REQUIRE_BROWSER") == "1"


class Browser:
    """One headless chromium page, driven through the DevTools protocol."""

    def __init__(self, socket: websocket.WebSocket) -> None:
        self._socket = socket
        self._next_id = 0

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        self._socket.send(json.dumps({"id": self._next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self._socket.recv())
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:80]}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 60) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {expression}")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    if CHROMIUM is None:
        if REQUIRED:
            pytest.fail("REQUIRE_BROWSER=1 but chromium is not installed")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    profile = tmp_path_factory.mktemp("chromium-profile")
    process = subprocess.Popen(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            "--window-size=1280,1600",
            "about:blank",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        for line in process.stderr:
            match = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
            if match:
                break
        else:
            raise AssertionError("chromium did not start its DevTools endpoint")
        with urllib.request.urlopen(f"http://127.0.0.1:{match[1]}/json/list", timeout=30) as r:
            (page,) = [t for t in json.load(r) if t["type"] == "page"]
        socket = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60)
        try:
            yield Browser(socket)
        finally:
            socket.close()
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def docs(browser: Browser, service: tuple[RunningService, Any]) -> tuple[Browser, RunningService]:
    running = service[0]
    docs_url = running.url.rsplit("/", 1)[0] + "/_docs"
    browser.call("Page.navigate", url=docs_url)
    browser.wait_for("document.querySelectorAll('.opblock').length > 0")
    return browser, running


def test_the_page_renders_every_route(docs: tuple[Browser, RunningService]) -> None:
    browser, running = docs
    shown = browser.evaluate(
        "[...document.querySelectorAll('.opblock')].map(b => "
        "b.querySelector('.opblock-summary-method').textContent + ' ' + "
        "b.querySelector('.opblock-summary-path').getAttribute('data-path'))"
    )
    document = Client(running.url).request("GET", "/openapi.json").json()
    expected = [
        f"{verb.upper()} {path}"
        for path, operations in document["paths"].items()
        for verb in operations
        if verb in ("get", "post", "put", "patch", "delete")
    ]
    assert sorted(shown) == sorted(expected)
    assert "POST /items" in shown and "PATCH /items/{id}" in shown
    screenshot = os.environ.get("DOCS_SCREENSHOT")
    if screenshot:  # how docs/local-mode-docs.png is made
        png = browser.call("Page.captureScreenshot", format="png")["data"]
        Path(screenshot).write_bytes(base64.b64decode(png))


def test_a_post_from_the_page_creates_an_item(docs: tuple[Browser, RunningService]) -> None:
    browser, running = docs
    block = (
        "[...document.querySelectorAll('.opblock-post')].find(b => "
        "b.querySelector('.opblock-summary-path').getAttribute('data-path') === '/items')"
    )
    browser.evaluate(f"{block}.querySelector('.opblock-summary-control').click()")
    browser.wait_for(f"{block}.querySelector('textarea.body-param__text') !== null")
    body = json.dumps({"name": "made on the page"})
    browser.evaluate(
        f"""(() => {{
        const area = {block}.querySelector('textarea.body-param__text');
        const setter = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value').set;
        setter.call(area, {json.dumps(body)});
        area.dispatchEvent(new Event('input', {{bubbles: true}}));
        {block}.querySelector('button.execute').click();
        }})()"""
    )
    status = browser.wait_for(
        f"(() => {{ const cell = {block}.querySelector("
        "'.live-responses-table tbody .response-col_status');"
        " return cell && cell.textContent.trim(); })()"
    )
    assert status.startswith("201")
    listed = Client(running.url).request(
        "GET", "/items?limit=100", headers={"Cache-Control": "max-age=0"}
    )
    assert {"name": "made on the page"} in [item["data"] for item in listed.json()["items"]]


def test_the_document_points_at_the_local_stage(service: tuple[RunningService, Any]) -> None:
    running = service[0]
    reply = Client(running.url).request("GET", "/openapi.json")
    assert reply.status == 200
    assert reply.json()["servers"] == [{"url": "/prod"}]
    assert reply.json()["openapi"] == "3.1.0"
    page = Client(running.url.rsplit("/", 1)[0]).request("GET", "/_docs")
    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "https://" not in page.body.decode()  # nothing from a CDN
    asset = Client(running.url.rsplit("/", 1)[0]).request("GET", "/_docs/swagger-ui-bundle.js")
    assert asset.status == 200 and len(asset.body) > 100_000
    missing = Client(running.url.rsplit("/", 1)[0]).request("GET", "/_docs/nothing.js")
    assert missing.status == 403  # not the page's: the stage's answer for unknown paths
