/// The dashboard's HTML page: polls `/dashboard/data` every second and draws the panels, with a
/// small chart of each numeric figure over the last two minutes. No external assets.
enum DashboardPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Siteflow dashboard</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #1c2430; }
  header { background: #1c2430; color: #fff; padding: 10px 20px; display: flex; gap: 16px; align-items: baseline; }
  header h1 { font-size: 18px; margin: 0; }
  #status { font-size: 12px; opacity: .8; }
  main { padding: 16px 20px; }
  section { background: #fff; border-radius: 8px; box-shadow: 0 1px 2px rgba(0,0,0,.08); padding: 12px 16px; margin-bottom: 16px; }
  section h2 { font-size: 16px; margin: 0 0 10px; }
  .figures { display: flex; flex-wrap: wrap; gap: 10px; }
  .figure { border: 1px solid #e3e6ea; border-radius: 6px; padding: 6px 10px; min-width: 120px; }
  .figure .label { font-size: 11px; text-transform: uppercase; color: #667; }
  .figure .value { font-size: 18px; font-variant-numeric: tabular-nums; }
  .figure canvas { display: block; width: 120px; height: 28px; }
  table { border-collapse: collapse; width: 100%; margin-top: 10px; font-variant-numeric: tabular-nums; }
  caption { text-align: left; font-weight: 600; padding: 4px 0; }
  th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #eef0f2; white-space: nowrap; }
  ul.tree { list-style: none; padding-left: 16px; margin: 4px 0; }
  ul.tree li::before { content: "└ "; color: #99a; }
</style>
</head>
<body>
<header><h1>Siteflow</h1><span id="node"></span><span id="status">connecting…</span></header>
<main id="sections"></main>
<script>
"use strict";
const history = new Map();   // "section/label" -> numbers over time
const keep = 120;
function el(tag, attrs, children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  for (const child of children || []) node.append(child);
  return node;
}
function spark(canvas, values) {
  const ctx = canvas.getContext("2d");
  const w = canvas.width = 120, h = canvas.height = 28;
  ctx.clearRect(0, 0, w, h);
  if (values.length < 2) return;
  const max = Math.max(...values, 1e-9), min = Math.min(...values, 0);
  ctx.strokeStyle = "#3a7bd5"; ctx.beginPath();
  values.forEach((v, i) => {
    const x = i * (w - 1) / (keep - 1), y = h - 2 - (v - min) / (max - min || 1) * (h - 4);
    i ? ctx.lineTo(x, y) : ctx.moveTo(x, y);
  });
  ctx.stroke();
}
function tree(nodes) {
  return el("ul", {class: "tree"}, nodes.map(n => el("li", {}, [n.label, ...(n.children.length ? [tree(n.children)] : [])])));
}
function render(doc) {
  document.getElementById("node").textContent = doc.node;
  const root = document.getElementById("sections");
  root.replaceChildren(...doc.sections.map(section => {
    const figures = el("div", {class: "figures"}, section.figures.map(f => {
      const box = el("div", {class: "figure"}, [el("div", {class: "label"}, [f.label]), el("div", {class: "value"}, [f.value])]);
      if (typeof f.number === "number") {
        const key = section.title + "/" + f.label;
        const values = history.get(key) || [];
        values.push(f.number); if (values.length > keep) values.shift();
        history.set(key, values);
        const canvas = el("canvas"); box.append(canvas); spark(canvas, values);
      }
      return box;
    }));
    const tables = section.tables.map(t => el("table", {}, [
      el("caption", {}, [t.title]),
      el("thead", {}, [el("tr", {}, t.columns.map(c => el("th", {}, [c])))]),
      el("tbody", {}, t.rows.map(r => el("tr", {}, r.map(c => el("td", {}, [c])))))
    ]));
    const trees = section.trees.length ? [el("h3", {}, ["Supervision tree"]), tree(section.trees)] : [];
    return el("section", {}, [el("h2", {}, [section.title]), figures, ...tables, ...trees]);
  }));
}
async function poll() {
  const status = document.getElementById("status");
  try {
    const response = await fetch("data", {cache: "no-store"});
    if (!response.ok) throw new Error("HTTP " + response.status);
    render(await response.json());
    status.textContent = "live · " + new Date().toLocaleTimeString();
  } catch (error) {
    status.textContent = "cannot reach the node (" + error.message + "); retrying";
  }
  setTimeout(poll, 1000);
}
poll();
</script>
</body>
</html>
"""#
}
