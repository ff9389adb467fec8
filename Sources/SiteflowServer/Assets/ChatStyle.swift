/// The chat application's style sheet (`GET /assets/chat.css`).
enum ChatStyle {
    /// The CSS.
    static let css = #"""
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2330; background: #f4f6fa; }
header { display: flex; align-items: center; justify-content: space-between; padding: 0.75rem 1.25rem; background: #1d2330; color: #fff; }
header h1 { font-size: 1.1rem; margin: 0; }
.status { font-size: 0.85rem; padding: 0.15rem 0.6rem; border-radius: 1rem; background: #8a93a6; }
.status[data-state="connected"] { background: #2e9d5b; }
.status[data-state="connecting"] { background: #d99a22; }
.join { display: flex; flex-wrap: wrap; gap: 0.75rem; align-items: end; padding: 0.75rem 1.25rem; background: #fff; border-bottom: 1px solid #dde2ea; }
.join label { display: flex; flex-direction: column; font-size: 0.8rem; color: #5a6378; }
input { font: inherit; padding: 0.4rem 0.55rem; border: 1px solid #c5ccd8; border-radius: 0.35rem; }
button { font: inherit; padding: 0.4rem 0.9rem; border: 0; border-radius: 0.35rem; background: #3461d1; color: #fff; cursor: pointer; }
button:disabled { background: #aab3c5; cursor: default; }
.error { margin: 0.75rem 1.25rem 0; padding: 0.5rem 0.75rem; border-radius: 0.35rem; background: #fde8e8; color: #9b1c1c; }
main { display: grid; grid-template-columns: 1fr 14rem; gap: 1rem; padding: 1rem 1.25rem; }
.conversation, aside { background: #fff; border: 1px solid #dde2ea; border-radius: 0.5rem; padding: 0.75rem 1rem; }
h2 { font-size: 0.95rem; margin: 0 0 0.5rem; }
.messages { list-style: none; margin: 0.5rem 0; padding: 0; height: 55vh; overflow-y: auto; }
.message { padding: 0.25rem 0; border-bottom: 1px solid #f0f2f6; }
.message .nickname { font-weight: 600; margin-right: 0.4rem; }
.message time { float: right; font-size: 0.75rem; color: #8a93a6; }
.typing { min-height: 1.3rem; font-size: 0.85rem; font-style: italic; color: #5a6378; }
.composer { display: flex; gap: 0.5rem; }
.composer input { flex: 1; }
.online { list-style: none; margin: 0; padding: 0; }
.online li::before { content: "● "; color: #2e9d5b; }
@media (max-width: 640px) { main { grid-template-columns: 1fr; } }
"""#
}
