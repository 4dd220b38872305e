// The browser flow of `lotledger serve` in headless Chromium (playwright-core):
// a lot search, a click in the genealogy, a recall report and its CSV
// download, the complaints board and the audit view, with screenshots.
// Every request must go to the server under test: any other is aborted and
// fails the run. Exits non-zero on any failure.
//
//   PLAYWRIGHT_CORE=/tmp/x/node_modules/playwright-core CHROMIUM=/usr/bin/chromium \
//   node tools/serve-browser-test.cjs http://127.0.0.1:PORT LOT RECALL OUTDIR
"use strict";

const fs = require("fs");
const path = require("path");
const { chromium } = require(process.env.PLAYWRIGHT_CORE || "playwright-core");

const [base, lot, recall, out] = process.argv.slice(2);
if (!base || !lot || !recall || !out) {
  console.error("usage: serve-browser-test.cjs BASE LOT RECALL OUTDIR");
  process.exit(2);
}

function check(condition, what) {
  if (!condition) throw new Error("failed: " + what);
  console.log("ok: " + what);
}

(async () => {
  fs.mkdirSync(out, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu"],
  });
  const outside = [];
  try {
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1400, height: 900 } });
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith(base + "/") || url === base || url.startsWith("blob:") || url.startsWith("data:")) return route.continue();
      outside.push(url);
      return route.abort();
    });
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));

    await page.goto(base + "/#search");
    await page.selectOption("#search-kind", "lot");
    await page.fill("#search-text", lot);
    await page.click("#search-go");
    await page.waitForSelector("#genealogy g.node");
    const heading = await page.textContent("#search-out h3");
    check(heading.includes(lot), "the genealogy of " + lot + " is shown (" + heading + ")");
    const nodes = await page.$$eval("#genealogy g.node", (n) => n.length);
    check(nodes > 1, "the genealogy has " + nodes + " nodes");
    await page.screenshot({ path: path.join(out, "1-genealogy.png"), fullPage: true });

    const next = await page.$("#genealogy g.node:not(.start):not(.customer)");
    check(next !== null, "the genealogy has another lot to click");
    const nextLot = await next.getAttribute("data-lot");
    await next.click();
    await page.waitForFunction((l) => {
      const h = document.querySelector("#search-out h3");
      return h && h.textContent.includes(l) && document.querySelector("#genealogy g.node.start");
    }, nextLot);
    check((await page.textContent("#search-out h3")).includes(nextLot), "a click follows the genealogy to " + nextLot);
    await page.screenshot({ path: path.join(out, "2-genealogy-followed.png"), fullPage: true });

    await page.click("#nav-recall");
    await page.fill("#recall-number", recall);
    await page.click("#recall-go");
    await page.waitForSelector("#recall-csv");
    const rows = await page.$$eval("#recall-out table:first-of-type tbody tr", (r) => r.length);
    check(rows > 0, "the recall report lists " + rows + " customers to call");
    await page.screenshot({ path: path.join(out, "3-recall.png"), fullPage: true });
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#recall-csv")]);
    const csvPath = path.join(out, download.suggestedFilename());
    await download.saveAs(csvPath);
    const lines = fs.readFileSync(csvPath, "utf8").trim().split(/\r\n/);
    check(lines[0].startsWith("customer,name,contact"), "the CSV has its header");
    check(lines.length === rows + 1, "the CSV has one line per customer (" + (lines.length - 1) + ")");

    await page.click("#nav-complaints");
    await page.waitForSelector("#complaints-out tbody tr");
    await page.click("#complaints-out tbody tr");
    await page.waitForSelector("#timeline-out table");
    await page.screenshot({ path: path.join(out, "4-complaints.png"), fullPage: true });
    check(true, "the complaints board and a timeline are shown");

    await page.click("#nav-audit");
    await page.waitForSelector("#verdict");
    const verdict = await page.textContent("#verdict");
    check(verdict.startsWith("Verified"), "the audit view's verdict: " + verdict);
    await page.screenshot({ path: path.join(out, "5-audit.png"), fullPage: true });

    check(errors.length === 0, "no script errors " + JSON.stringify(errors));
    check(outside.length === 0, "no request left the server " + JSON.stringify(outside));
  } finally {
    await browser.close();
  }
})().catch((e) => {
  console.error(e.message || e);
  process.exit(1);
});
