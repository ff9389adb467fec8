/// The chat application's page (`GET /`): plain HTML with stable element ids, so a browser test
/// (Selenium) can drive it: `#nickname`, `#room`, `#join`, `#message`, `#send`, `#messages`,
/// `#online`, `#typing`, plus `#status`, `#error`, `#load-older` and `#leave`.
enum ChatPage {
    /// The page's HTML.
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Siteflow chat</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="/assets/chat.css">
</head>
<body>
  <header>
    <h1>Siteflow chat</h1>
    <span id="status" class="status" data-state="disconnected">disconnected</span>
  </header>
  <form id="join-form" class="join" autocomplete="off">
    <label>Nickname <input id="nickname" name="nickname" maxlength="32" required placeholder="ann"></label>
    <label>Room <input id="room" name="room" maxlength="64" required value="lobby"></label>
    <button id="join" type="submit">Join</button>
    <button id="leave" type="button" disabled>Leave</button>
  </form>
  <div id="error" class="error" role="alert" hidden></div>
  <main>
    <section class="conversation">
      <h2 id="room-title">Not in a room</h2>
      <button id="load-older" type="button" disabled>Load older messages</button>
      <ul id="messages" class="messages" aria-live="polite"></ul>
      <div id="typing" class="typing" aria-live="polite"></div>
      <form id="message-form" class="composer" autocomplete="off">
        <input id="message" name="message" maxlength="2000" placeholder="Say something…" disabled>
        <button id="send" type="submit" disabled>Send</button>
      </form>
    </section>
    <aside>
      <h2>Online</h2>
      <ul id="online" class="online"></ul>
    </aside>
  </main>
  <script src="/assets/chat.js"></script>
</body>
</html>
"""#
}
