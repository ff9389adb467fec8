#!/usr/bin/env python3
"""Two real browser sessions (headless Chromium driven by Selenium) use the chat app served at
BASE_URL — alice over Phoenix long-polling (`?transport=longpoll`), bob over a WebSocket: they
join the same room, see each other online, exchange messages, see the typing indicator, and see
a departure; a reload shows the persisted history and keeps the nickname (the page presents the
token it kept), while another browser cannot take the held nickname.

Usage: browser_chat.py BASE_URL ROOM
Exit codes: 0 passed, 1 failed (the reason is printed), 77 skipped (no Selenium or Chromium).
"""
import shutil
import sys
import time

try:
    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException, WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError as error:  # pragma: no cover - environment check
    print(f"SKIP selenium is not installed: {error}")
    sys.exit(77)

WAIT_S = 15


def chromium_paths():
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver") or "/usr/lib/chromium/chromedriver"
    return browser, driver


def open_browser():
    browser, driver = chromium_paths()
    if browser is None or driver is None or not shutil.os.path.exists(driver):
        print("SKIP chromium or chromedriver is not installed")
        sys.exit(77)
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=options)


def wait_for(driver, condition, what):
    try:
        return WebDriverWait(driver, WAIT_S).until(condition)
    except TimeoutException:
        status = text_of(driver, "status")
        error = text_of(driver, "error")
        raise AssertionError(f"timed out waiting for {what} (status={status!r}, error={error!r})")


def text_of(driver, element_id):
    try:
        return driver.find_element(By.ID, element_id).text
    except WebDriverException:
        return None


def join(driver, base_url, nickname, room):
    fill_and_join(driver, base_url, nickname, room)
    wait_for(driver, lambda d: nickname in online(d), f"{nickname} to see themself online")


def fill_and_join(driver, base_url, nickname, room):
    driver.get(base_url)
    wait_for(driver, EC.presence_of_element_located((By.ID, "nickname")), "the chat page")
    driver.find_element(By.ID, "nickname").clear()
    driver.find_element(By.ID, "nickname").send_keys(nickname)
    driver.find_element(By.ID, "room").clear()
    driver.find_element(By.ID, "room").send_keys(room)
    driver.find_element(By.ID, "join").click()


def online(driver):
    return text_of(driver, "online") or ""


def messages(driver):
    return [element.text for element in driver.find_elements(By.CSS_SELECTOR, "#messages .message .body")]


def send(driver, body):
    box = driver.find_element(By.ID, "message")
    box.send_keys(body)
    driver.find_element(By.ID, "send").click()


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 1
    base_url, room = sys.argv[1], sys.argv[2]
    alice = open_browser()
    bob = None
    mallory = None
    try:
        bob = open_browser()
        longpoll_url = base_url + ("&" if "?" in base_url else "?") + "transport=longpoll"
        join(alice, longpoll_url, "alice", room)
        join(bob, base_url, "bob", room)
        wait_for(alice, lambda d: "bob" in online(d), "alice to see bob online")
        wait_for(bob, lambda d: "alice" in online(d), "bob to see alice online")
        print("ok presence: both see each other online")

        send(alice, "hello from alice")
        wait_for(bob, lambda d: "hello from alice" in messages(d), "bob to receive alice's message")
        wait_for(alice, lambda d: "hello from alice" in messages(d), "alice to see her own message")
        send(bob, "hi alice")
        wait_for(alice, lambda d: "hi alice" in messages(d), "alice to receive bob's message")
        print("ok messages: both directions delivered")

        bob.find_element(By.ID, "message").send_keys("typing…")
        wait_for(alice, lambda d: "bob" in (text_of(d, "typing") or ""), "alice to see bob typing")
        print("ok typing indicator")

        bob.quit()
        bob = None
        wait_for(alice, lambda d: "bob" not in online(d), "bob to disappear from alice's online list")
        print("ok presence: a closed browser leaves")

        alice.refresh()
        join(alice, longpoll_url, "alice", room)
        wait_for(alice, lambda d: {"hello from alice", "hi alice"} <= set(messages(d)), "history after a reload")
        if "nickname taken" in (text_of(alice, "error") or ""):
            raise AssertionError("the reload lost alice's nickname")
        print("ok history: a reload shows the persisted messages and keeps the nickname (token presented)")

        mallory = open_browser()
        fill_and_join(mallory, base_url, "alice", room)
        wait_for(mallory, lambda d: "nickname taken" in (text_of(d, "error") or ""), "another browser to be refused alice")
        print("ok identity: another browser cannot take a held nickname")
        return 0
    except AssertionError as failure:
        print(f"FAIL {failure}")
        for name, driver in (("alice", alice), ("bob", bob), ("mallory", mallory)):
            if driver is None:
                continue
            print(f"  {name}: online={online(driver)!r} messages={messages(driver)!r} error={text_of(driver, 'error')!r}")
            try:
                for entry in driver.get_log("browser")[-10:]:
                    print(f"  {name} console: {entry.get('message')}")
            except WebDriverException:
                pass
        return 1
    finally:
        for driver in (alice, bob, mallory):
            if driver is not None:
                try:
                    driver.quit()
                except WebDriverException:
                    pass


if __name__ == "__main__":
    sys.exit(main())
