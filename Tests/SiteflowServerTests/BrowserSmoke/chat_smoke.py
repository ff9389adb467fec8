# A real-browser smoke test of the chat page (not run by `swift test`):
#   pip install selenium; siteflow loadtest-server --port 4111 & python3 chat_smoke.py 4111
# Two headless Chromium windows join room:smoke, one over WebSocket, one over long-poll;
# each sends; both must show both messages.
import sys, time
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait
port = sys.argv[1]
def browser():
    o = webdriver.ChromeOptions()
    for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]:
        o.add_argument(a)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
a, b = browser(), browser()
try:
    # ann uses the WebSocket, bob Phoenix long-polling: they must see each other's messages.
    for d, nick, query in ((a, "ann", ""), (b, "bob", "?transport=longpoll")):
        d.get(f"http://127.0.0.1:{port}/{query}")
        d.find_element(By.ID, "nickname").send_keys(nick)
        room = d.find_element(By.ID, "room"); room.clear(); room.send_keys("smoke")
        d.find_element(By.ID, "join").click()
        WebDriverWait(d, 10).until(lambda d: d.find_element(By.ID, "message").is_enabled())
    a.find_element(By.ID, "message").send_keys("hello from ann")
    a.find_element(By.ID, "send").click()
    for d in (a, b):
        WebDriverWait(d, 10).until(lambda d: "hello from ann" in d.find_element(By.ID, "messages").text)
    b.find_element(By.ID, "message").send_keys("and hello from bob")
    b.find_element(By.ID, "send").click()
    for d in (a, b):
        WebDriverWait(d, 10).until(lambda d: "and hello from bob" in d.find_element(By.ID, "messages").text)
    print("transports:", a.find_element(By.ID, "status").get_attribute("data-transport"), b.find_element(By.ID, "status").get_attribute("data-transport"))
    print("b sees:", b.find_element(By.ID, "messages").text.replace("\n", " | "))
    print("status:", a.find_element(By.ID, "status").text, "room:", a.find_element(By.ID, "room-title").text)
    logs = a.get_log("browser")
    print("console:", [l["message"] for l in logs][:5])
    print("SMOKE OK")
finally:
    a.quit(); b.quit()
