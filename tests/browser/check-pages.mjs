// Load preview pages in headless Chromium and report what a reader and a checker see.
// Usage: node check-pages.mjs CONFIG.json -> one JSON line per page; exit 0 unless Chromium failed.
// CONFIG: {"chromium": PATH, "profile": DIR, "pages": [{"file": PATH, "screenshot": PATH?}]}
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import puppeteer from "puppeteer-core";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

const browser = await puppeteer.launch({
  executablePath: config.chromium,
  headless: true,
  pipe: true,
  userDataDir: config.profile,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"],
});
try {
  for (const item of config.pages) {
    const page = await browser.newPage();
    const console_ = [];
    page.on("console", (m) => { if (["error", "warn", "assert"].includes(m.type())) console_.push(`${m.type()}: ${m.text()}`); });
    page.on("pageerror", (e) => console_.push(`pageerror: ${e.message}`));
    page.on("requestfailed", (r) => console_.push(`requestfailed: ${r.url().slice(0, 80)} ${r.failure()?.errorText}`));
    await page.setViewport({ width: 1100, height: 900 });
    const started = performance.now();
    await page.goto(new URL(`file://${item.file}`).href, { waitUntil: "load" });
    const loadMs = performance.now() - started;
    const seen = await page.evaluate(() => ({
      lang: document.documentElement.lang,
      title: document.title,
      h1: document.querySelector("h1")?.innerText ?? "",
      headings: [...document.querySelectorAll("h1,h2,h3,h4,h5,h6")].map((h) => `${h.tagName}:${h.innerText}`),
      text: document.body.innerText,
      langs: [...document.querySelectorAll("body [lang]")].map((e) => [e.getAttribute("lang"), e.textContent]),
      scripts: document.querySelectorAll("script").length,
    }));
    if (item.screenshot) await page.screenshot({ path: item.screenshot, fullPage: true });
    await page.setBypassCSP(true);
    await page.reload({ waitUntil: "load" });
    await page.addScriptTag({ content: axeSource });
    const axe = await page.evaluate(async (values) => {
      const r = await window.axe.run(document, { runOnly: { type: "tag", values } });
      return {
        violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length,
                                               target: v.nodes[0]?.target?.join(" ") ?? "" })),
        passes: r.passes.length, incomplete: r.incomplete.map((v) => v.id),
      };
    }, tags);
    console.log(JSON.stringify({ file: item.file, loadMs, console: console_, ...seen, axe }));
    await page.close();
  }
} finally {
  await browser.close();
}
