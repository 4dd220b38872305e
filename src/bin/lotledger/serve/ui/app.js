// lotledger's browser view: plain DOM, no libraries, no request but to
// this server. Every value is put in as text, never as markup.
"use strict";

const $ = (id) => document.getElementById(id);
const enc = encodeURIComponent;
const DIGITAL_LINK = ["https:", "", "id.gs1.org", "01", ""].join("/");

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "onclick") e.addEventListener("click", v);
    else e.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function svg(tag, attrs, ...children) {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "onclick") e.addEventListener("click", v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

async function api(path) {
  const r = await fetch(path, { headers: { Accept: "application/json" } });
  const body = await r.json().catch(() => null);
  if (!r.ok) throw new Error((body && (body.detail || body.title)) || r.status + " " + r.statusText);
  return body;
}

function show(view) {
  for (const s of document.querySelectorAll(".view")) s.classList.toggle("shown", s.id === view);
  for (const a of document.querySelectorAll("nav a")) a.classList.toggle("active", a.id === "nav-" + view);
  $("error").textContent = "";
  if (view === "complaints") complaints();
  if (view === "audit") audit();
}

async function guarded(f) {
  $("error").textContent = "";
  try { await f(); } catch (e) { $("error").textContent = e.message; }
}

function table(columns, rows, options) {
  const o = options || {};
  return el("table", {},
    el("thead", {}, el("tr", {}, columns.map((c) => el("th", {}, c)))),
    el("tbody", {}, rows.map((r, i) => {
      const tr = el("tr", {}, r.map((c) => el("td", {}, c)));
      if (o.classOf) { const c = o.classOf(i); if (c) tr.className = c; }
      if (o.onRow) { tr.classList.add("clickable"); tr.addEventListener("click", () => o.onRow(i)); }
      return tr;
    })));
}

const qty = (list) => (list || []).map((q) => q.quantity + " " + q.unit).join(", ") || "0";
const lotText = (l) => l.item + "/" + l.lot;

// ---- search and genealogy ------------------------------------------------

function searchFor(kind, text) {
  $("search-kind").value = kind;
  $("search-text").value = text;
  location.hash = "#search";
  show("search");
  return guarded(() => search(kind, text));
}

async function search(kind, text) {
  const out = $("search-out");
  out.replaceChildren(el("p", { class: "note" }, "searching…"));
  if (kind === "lot") return lot(text, out);
  if (kind === "supplier_lot") {
    const t = await api("/api/trace?supplier_lot=" + enc(text));
    const lots = (t.traces || []).map((x) => lotText(x.start));
    out.replaceChildren(
      el("h3", {}, "Received as supplier lot " + text),
      table(["our lot"], lots.map((l) => [l]), { onRow: (i) => searchFor("lot", lots[i]) }));
    return;
  }
  if (kind === "gtin") {
    const gtin = text.replace(/\D/g, "").padStart(14, "0");
    const doc = await api("/events?perPage=1000&MATCH_anyEPCClass=" + enc(DIGITAL_LINK + gtin + "/10/*"));
    const lots = new Set();
    for (const e of doc.epcisBody.queryResults.resultsBody.eventList) {
      for (const k of ["quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList"]) {
        for (const q of e[k] || []) {
          const p = DIGITAL_LINK + gtin + "/10/";
          if (q.epcClass && q.epcClass.startsWith(p)) lots.add("gtin:" + gtin + "/" + decodeURIComponent(q.epcClass.slice(p.length)));
        }
      }
    }
    const list = [...lots].sort();
    out.replaceChildren(el("h3", {}, "Lots of GTIN " + gtin + ": " + list.length),
      table(["lot"], list.map((l) => [l]), { onRow: (i) => searchFor("lot", list[i]) }));
    return;
  }
  const target = kind === "sscc" ? "sscc:" + text.replace(/^sscc:/, "") : text;
  const w = await api("/api/where?target=" + enc(target));
  out.replaceChildren(
    el("h3", {}, "Where " + target + " is"),
    el("pre", {}, JSON.stringify(Object.fromEntries(Object.entries(w).filter(([k]) => k !== "history" && k !== "unresolved")), null, 2)),
    el("h3", {}, "History"),
    table(["time", "event", "what", "entry"], (w.history || []).map((s) => [s.time, s.event, s.what || "", s.entry ? s.entry.seq : ""])));
}

async function lot(text, out) {
  const [g, fwd, back] = await Promise.all([
    api("/api/genealogy?lot=" + enc(text)),
    api("/api/trace?lot=" + enc(text)),
    api("/api/trace?lot=" + enc(text) + "&backward=1"),
  ]);
  out.replaceChildren(
    el("h3", {}, "Genealogy of " + lotText(g.start)),
    el("p", { class: "note" }, "Inputs on the left, the lots made from it on the right, then the customers they were shipped to. Click a lot to follow it."),
    genealogy(g, fwd),
    el("h3", {}, "Shipments (" + fwd.shipments.length + ")"),
    table(["item", "lot", "customer", "name", "quantity", "shipped", "order"],
      fwd.shipments.map((s) => [s.item, s.lot, s.customer, s.customer_name || "", s.quantity + " " + s.unit, s.shipped_at, s.order])),
    el("h3", {}, "Receipts (" + back.receipts.length + ")"),
    table(["item", "lot", "supplier", "name", "supplier lot", "quantity", "received"],
      back.receipts.map((r) => [r.item, r.lot, r.supplier, r.supplier_name || "", r.supplier_lot || "", r.quantity + " " + r.unit, r.received_at])),
    el("h3", {}, "Inspections (" + back.inspections.length + ")"),
    table(["item", "lot", "stage", "result", "at", "by"],
      back.inspections.map((i) => [i.item, i.lot, i.stage, i.result, i.inspected_at, i.actor])));
}

function genealogy(g, fwd) {
  const columns = new Map();
  for (const n of g.nodes) {
    if (!columns.has(n.generation)) columns.set(n.generation, []);
    columns.get(n.generation).push(n);
  }
  const gens = [...columns.keys()].sort((a, b) => a - b);
  const customers = [...new Map(fwd.shipments.map((s) => [s.customer, s])).values()];
  const W = 220, H = 34, GAP_X = 60, GAP_Y = 12;
  const rows = Math.max(customers.length, ...[...columns.values()].map((c) => c.length), 1);
  const width = (gens.length + (customers.length ? 1 : 0)) * (W + GAP_X) + GAP_X;
  const height = rows * (H + GAP_Y) + GAP_Y;
  const pos = new Map();
  const pic = svg("svg", { width, height, viewBox: "0 0 " + width + " " + height, role: "img", "aria-label": "genealogy", id: "genealogy" });
  gens.forEach((gen, x) => columns.get(gen).forEach((n, y) => pos.set("n" + n.id, [GAP_X + x * (W + GAP_X), GAP_Y + y * (H + GAP_Y), n])));
  const cx = GAP_X + gens.length * (W + GAP_X);
  customers.forEach((c, y) => pos.set("c" + c.customer, [cx, GAP_Y + y * (H + GAP_Y), c]));
  const line = (a, b) => {
    const [x1, y1] = pos.get(a), [x2, y2] = pos.get(b);
    pic.append(svg("path", { class: "edge", d: `M${x1 + W},${y1 + H / 2} C${x1 + W + GAP_X / 2},${y1 + H / 2} ${x2 - GAP_X / 2},${y2 + H / 2} ${x2},${y2 + H / 2}` }));
  };
  for (const e of g.edges) if (pos.has("n" + e.from) && pos.has("n" + e.to)) line("n" + e.from, "n" + e.to);
  const byLot = new Map(g.nodes.map((n) => [n.item + "/" + n.lot, n]));
  for (const s of fwd.shipments) {
    const n = byLot.get(s.item + "/" + s.lot);
    if (n) line("n" + n.id, "c" + s.customer);
  }
  for (const [key, [x, y, v]] of pos) {
    const isLot = key.startsWith("n");
    const label = isLot ? v.item + "/" + v.lot : (v.customer_name || v.customer);
    const cls = "node " + (isLot ? (v.id === 0 ? "start " : "") + (v.status || "") : "customer");
    const node = svg("g", { class: cls, "data-lot": isLot ? label : "", onclick: () => { if (isLot && v.id !== 0) searchFor("lot", label); } },
      svg("rect", { x, y, width: W, height: H, rx: 4 }),
      svg("text", { x: x + 8, y: y + 14 }, label.length > 32 ? label.slice(0, 31) + "…" : label),
      svg("text", { x: x + 8, y: y + 28, fill: "#5b6470" }, isLot ? (v.status || "") : v.customer));
    node.append(svg("title", {}, label));
    pic.append(node);
  }
  return pic;
}

// ---- recall ---------------------------------------------------------------

let lastRecall = null;

function csvCell(v) {
  const s = v === null || v === undefined ? "" : String(v);
  return /[",\n\r]/.test(s) || /^[=+\-@]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

function recallRows(r) {
  return r.customers.map((c) => {
    const d = c.customer_details || {}, k = d.contact || {};
    return [c.customer, d.name || "no master data", k.person || "", k.function || "", k.phone || "", k.email || "",
      (c.ship_to || []).join(" "), qty(c.shipped), qty(c.outstanding), c.notified ? "yes" : "no"];
  });
}

const RECALL_COLUMNS = ["customer", "name", "contact", "function", "phone", "email", "ship to", "shipped", "outstanding", "notified"];

async function recall() {
  const number = $("recall-number").value.trim(), lotText_ = $("recall-lot").value.trim();
  const r = number ? await api("/api/recall/" + enc(number)) : await api("/api/recall?lot=" + enc(lotText_));
  lastRecall = { r, name: number || lotText_ };
  const download = el("button", { type: "button", id: "recall-csv", onclick: recallCsv }, "Download CSV");
  $("recall-out").replaceChildren(
    el("p", {}, r.lots.length + " affected lots, " + r.customers.length + " customers to call. ", download),
    el("h3", {}, "Who to call"),
    table(RECALL_COLUMNS, recallRows(r), { classOf: (i) => (r.customers[i].notified ? "" : "overdue") }),
    el("h3", {}, "Affected lots"),
    table(["depth", "item", "lot", "status", "expiry"], r.lots.map((l) => [l.depth, l.item, l.lot, l.status || "", l.expiry || ""]),
      { onRow: (i) => searchFor("lot", r.lots[i].item + "/" + r.lots[i].lot) }));
}

function recallCsv() {
  if (!lastRecall) return;
  const lines = [RECALL_COLUMNS, ...recallRows(lastRecall.r)].map((row) => row.map(csvCell).join(","));
  const blob = new Blob([lines.join("\r\n") + "\r\n"], { type: "text/csv" });
  const a = el("a", { href: URL.createObjectURL(blob), download: "recall-" + lastRecall.name.replace(/[^A-Za-z0-9._-]/g, "_") + ".csv" });
  document.body.append(a);
  a.click();
  a.remove();
}

// ---- complaints -------------------------------------------------------------

async function complaints() {
  await guarded(async () => {
    const list = await api("/api/complaints?now=" + enc(new Date().toISOString()));
    list.sort((a, b) => (b.overdue.length > 0) - (a.overdue.length > 0) || (b.open - a.open) || (a.received_at < b.received_at ? 1 : -1));
    $("complaints-out").replaceChildren(
      table(["complaint", "received", "severity", "type", "customer", "lot", "open", "last step", "overdue"],
        list.map((c) => [c.complaint, c.received_at, c.severity, c.kind, c.customer_name || c.customer || "", c.lot || "", c.open ? "open" : "closed", c.last_step || "registered", c.overdue.join(" ")]),
        { classOf: (i) => (list[i].overdue.length ? "overdue" : ""), onRow: (i) => guarded(() => timeline(list[i].complaint)) }));
  });
}

async function timeline(number) {
  const t = await api("/api/complaints?timeline=" + enc(number) + "&now=" + enc(new Date().toISOString()));
  const hours = (ms) => (ms === null || ms === undefined ? "" : (ms / 3600000).toFixed(1) + " h");
  $("timeline-out").replaceChildren(
    el("h3", {}, "Timeline of " + t.complaint),
    el("h4", {}, "Against the commitments"),
    table(["commitment", "due", "met", "after", "status"], t.deadlines.map((d) => [d.commitment, d.due, d.met_at || "", hours(d.elapsed_ms), d.status]),
      { classOf: (i) => (t.deadlines[i].status === "met" ? "" : "overdue") }),
    el("h4", {}, "Steps"),
    table(["step", "at", "after", "by", "entry"], t.steps.map((s) => [s.step, s.at, hours(s.elapsed_ms), s.actor, s.seq])));
}

// ---- expiry, audit ----------------------------------------------------------

async function expiry() {
  const before = $("expiry-before").value;
  const r = await api("/api/expiring?before=" + enc(before));
  $("expiry-out").replaceChildren(
    el("h3", {}, r.lots.length + " lots expiring before " + r.before),
    table(["item", "lot", "expiry", "status", "on hand", "in the field"], r.lots.map((l) => [l.item, l.lot, l.expiry, l.status || "", qty(l.on_hand), qty(l.in_field)])),
    el("h3", {}, "Customers holding them"),
    table(["customer", "name", "item", "lot", "expiry", "outstanding"], r.customers.map((c) => [c.customer, (c.customer_details || {}).name || "", c.item, c.lot, c.expiry, c.outstanding + " " + c.unit])));
}

async function audit() {
  await guarded(async () => {
    const [v, cp, st] = await Promise.all([api("/api/verify"), api("/api/checkpoint"), api("/api/status")]);
    const stopped = st.filter((l) => !l.following);
    const read = st.reduce((n, l) => n + l.entries_read, 0);
    const verdict = v.problems.length === 0 && stopped.length === 0
      ? el("p", { class: "ok", id: "verdict" }, "Verified: " + read + " entries read by the server, each frame checked along the chain from entry 0; the index reports no problems.")
      : el("p", { class: "bad", id: "verdict" }, "Not verified: " + [...stopped.map((l) => l.ledger + ": " + l.stopped), ...v.problems.map((p) => JSON.stringify(p))].join("; "));
    $("audit-out").replaceChildren(
      verdict,
      el("h3", {}, "Chain heads"),
      table(["ledger", "entries", "head (next entry, hash)", "first", "last", "time regressions"],
        v.ledgers.map((l) => [l.ledger, l.entries, l.head.next_seq + " " + l.head.head, l.first_time || "", l.last_time || "", l.time_regressions])),
      el("h3", {}, "Last signed checkpoint"),
      table(["ledger", "entry", "at", "tree size", "root", "signed by"],
        cp.map((c) => c.checkpoint
          ? [c.ledger, c.checkpoint.seq, c.checkpoint.time, c.checkpoint.size, c.checkpoint.root, c.checkpoint.signer || "not signed"]
          : [c.ledger, "none in the ledger", "", "", "", ""])),
      el("p", { class: "note" }, "Corrections applied: " + v.corrections_applied + ", flagged: " + v.corrections_flagged + "."));
    $("prove-ledger").replaceChildren(...st.map((l) => el("option", { value: l.ledger }, l.ledger)));
  });
}

// The proof bundle of one entry against the ledger's latest signed
// checkpoint, saved as the server sent it for `lotledger verify-proof`.
async function prove() {
  const ledger = $("prove-ledger").value, seq = $("prove-seq").value.trim();
  const r = await fetch("/api/proof?ledger=" + enc(ledger) + "&seq=" + enc(seq), { headers: { Accept: "application/json" } });
  const text = await r.text();
  const body = (() => { try { return JSON.parse(text); } catch (e) { return null; } })();
  if (!r.ok) throw new Error((body && (body.detail || body.title)) || r.status + " " + r.statusText);
  const name = "proof-" + body.ledger + "-" + body.seq + ".json";
  const save = el("button", { type: "button", id: "prove-save", onclick: () => {
    const a = el("a", { href: URL.createObjectURL(new Blob([text], { type: "application/json" })), download: name });
    document.body.append(a);
    a.click();
    a.remove();
  } }, "Download proof");
  const size = body.checkpoint.split("\n")[1];
  $("prove-out").replaceChildren(
    el("p", { id: "prove-result" }, "Entry " + body.seq + " of ledger " + body.ledger + " against the signed checkpoint of " + size + " entries. ", save),
    el("p", { class: "note" }, "Check it offline with the signer's public key: lotledger verify-proof " + name + " --key SIGNER.pub"));
}

// ---- wiring -----------------------------------------------------------------

$("search-form").addEventListener("submit", (e) => { e.preventDefault(); guarded(() => search($("search-kind").value, $("search-text").value.trim())); });
$("recall-form").addEventListener("submit", (e) => { e.preventDefault(); guarded(recall); });
$("prove-form").addEventListener("submit", (e) => { e.preventDefault(); guarded(prove); });
$("expiry-form").addEventListener("submit", (e) => { e.preventDefault(); guarded(expiry); });
$("expiry-before").value = new Date(Date.now() + 90 * 86400000).toISOString().slice(0, 10);
window.addEventListener("hashchange", () => show(location.hash.slice(1) || "search"));
show(location.hash.slice(1) || "search");
