// The web UI in real Chromium against a live modelhub and the fixture images: the playground runs a
// model without leaving the page, uploads files, streams text, reports invalid inputs at the field,
// cancels; the history and prediction pages; the API tab's curl runs as copied; every page in light,
// dark and phone widths (screenshots under .tmp/screenshots/ to look at). The server requires tokens
// (the default) and the browser is signed in with the admin token; web-ui-auth.test.ts covers
// signing in, the admin pages and a user token.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { dockerTests, startLiveServer, type LiveServer } from "../helpers/live-server.ts";
import { until } from "../helpers/until.ts";

const CHROMIUM = "/usr/bin/chromium";
const SHOTS = resolve(import.meta.dir, "../../.tmp/screenshots");

describe.skipIf(!dockerTests)("web UI in Chromium", () => {
  let s: LiveServer;
  let browser: Browser;
  let ctx: BrowserContext;
  const problems: string[] = [];
  let admin: Record<string, string>;
  /** a run of the slow model that raised, for the failed state's screenshots */
  let failedRun = "";
  const api = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => s.api(method, path, body, { ...admin, ...headers });
  const predictionCount = async () => (await api("GET", "/v1/predictions")).body.results.length as number;

  async function open(path: string, opts: { width?: number; dark?: boolean } = {}): Promise<Page> {
    const page = await ctx.newPage();
    await page.setViewportSize({ width: opts.width ?? 1280, height: opts.width && opts.width < 500 ? 844 : 900 });
    await page.emulateMedia({ colorScheme: opts.dark ? "dark" : "light" });
    page.on("pageerror", (e) => problems.push(`${path}: ${e.message}`));
    await page.goto(`${s.url}${path}`);
    return page;
  }

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: test/run.sh installs Debian's chromium`);
    mkdirSync(SHOTS, { recursive: true });
    s = await startLiveServer({ auth: "on" });
    admin = { authorization: `Bearer ${s.adminToken}` };
    for (const [image, name] of [["image", "ui/image"], ["stream", "ui/stream"], ["slow", "ui/slow"]]) {
      const r = await api("POST", `/v1/models/${name}/versions`, { image: `modelhub-test/${image}:latest` });
      if (r.status >= 300) throw new Error(`adding ${image} failed: ${r.status} ${JSON.stringify(r.body)}`);
    }
    // One finished run from the API, so each test below can also run alone.
    const first = await api("POST", "/v1/predictions", { version: "ui/image", input: { color: "blue", height: 48 } }, { prefer: "wait" });
    if (first.body.status !== "succeeded") throw new Error(`the first prediction did not succeed: ${JSON.stringify(first.body)}`);
    const failed = await api("POST", "/v1/predictions", { version: "ui/slow", input: { seconds: 0.3, fail: true } }, { prefer: "wait" });
    if (failed.body.status !== "failed") throw new Error(`the failing prediction did not fail: ${JSON.stringify(failed.body)}`);
    failedRun = failed.body.id;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
    ctx = await browser.newContext();
    // Signed in as the admin, as the sign-in page leaves it.
    await ctx.addInitScript((t) => localStorage.setItem("modelhub.token", t), s.adminToken!);
    await ctx.grantPermissions(["clipboard-read", "clipboard-write"], { origin: s.url });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await s?.[Symbol.asyncDispose]();
  }, 30_000);

  it("runs the image model beside its form, uploads a file, keeps the inputs over a reload", async () => {
    const page = await open("/");
    await page.click("text=ui/image");
    await page.waitForURL(`${s.url}/models/ui/image`);
    // Widgets from the schema: enum → select, bounded integer → slider + box, boolean → switch, secret → masked.
    expect(await page.locator("label[for=height]").textContent()).toBe("height");
    expect(await page.inputValue("select#width")).toBe("0"); // option values are indexes into the choices
    expect(await page.locator("[data-field=height] input[type=range]").count()).toBe(1);
    expect(await page.getAttribute("#grid", "role")).toBe("switch");
    expect(await page.getAttribute("#api_key", "type")).toBe("password");
    await page.selectOption("select#color", { label: "blue" });
    await page.fill("#height", "32");
    await page.setInputFiles("#init_image", { name: "tiny.png", mimeType: "image/png", buffer: Buffer.from("89504e470d0a1a0a", "hex") });
    await page.waitForSelector("text=uploaded");
    expect(await page.locator(".file-preview").count()).toBe(1);
    await page.click("button.btn-run");
    // The output appears beside the form; the page stays, the URL names the prediction.
    const img = await page.waitForSelector(".pane-output img.output-image", { timeout: 30_000 });
    await until("the output image to load", () => img.evaluate((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalHeight > 0), 10_000);
    expect(await img.evaluate((el) => (el as HTMLImageElement).naturalHeight)).toBe(32);
    const url = new URL(page.url());
    expect(url.pathname).toBe("/models/ui/image");
    const id = url.searchParams.get("prediction")!;
    const p = (await api("GET", `/v1/predictions/${id}`)).body;
    expect(p).toMatchObject({ status: "succeeded", source: "web", input: { color: "blue", height: 32 } });
    // The uploaded file reached the model.
    expect(p.input.init_image).toMatch(/\/v1\/files\//);
    expect(p.logs).toContain("init_image: 8 bytes of image/png");
    const box = await page.locator(".pane-input").boundingBox();
    const out = await page.locator(".pane-output").boundingBox();
    expect(out!.x).toBeGreaterThan(box!.x + box!.width - 1); // side by side at 1280 px
    await page.screenshot({ path: join(SHOTS, "playground-image-done.png") });
    // A reload keeps the last inputs and shows the same run again.
    await page.reload();
    await page.waitForSelector(".pane-output img.output-image");
    expect(await page.inputValue("#height")).toBe("32");
    expect(await page.locator("select#color option:checked").textContent()).toBe("blue");
    // Reset brings the defaults back.
    await page.click("text=Reset");
    expect(await page.inputValue("#height")).toBe("256");
    await page.close();
  }, 90_000);

  it("shows an out-of-range number at its field (focused, aria-invalid) and creates no prediction", async () => {
    const before = await predictionCount();
    const page = await open("/models/ui/image");
    await page.fill("#height", "5000");
    await page.keyboard.press("Control+Enter");
    await page.waitForSelector("[data-field=height] .field-error");
    expect(await page.textContent("[data-field=height] .field-error")).toMatch(/1024/);
    expect(await page.getAttribute("#height", "aria-invalid")).toBe("true");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("height");
    expect(new URL(page.url()).searchParams.get("prediction")).toBeNull();
    expect(await predictionCount()).toBe(before);
    // Typing again clears the error.
    await page.fill("#height", "64");
    expect(await page.locator("[data-field=height] .field-error").count()).toBe(0);
    await page.close();
  }, 60_000);

  it("streams the stream model's text token by token and cancels the slow model", async () => {
    const page = await open("/models/ui/stream");
    await page.fill("#prompt", "alpha beta gamma delta");
    await page.fill("#count", "80");
    await page.click("button.btn-run");
    const text = page.locator(".pane-output .output-text");
    const seen: string[] = [];
    // Read the text several times while the prediction is still running.
    await until("the streamed text to grow three times", async () => {
      const status = await page.getAttribute(".pane-output .chip", "data-status").catch(() => null);
      if (status === "processing" && (await text.count())) seen.push((await text.textContent()) ?? "");
      return new Set(seen.filter(Boolean)).size >= 3;
    }, 30_000, 100);
    const lengths = seen.filter(Boolean).map((t) => t.length);
    expect(lengths[lengths.length - 1]).toBeGreaterThan(lengths[0]);
    expect(await page.getAttribute(".pane-output .chip", "data-status")).toBe("processing");
    expect(await page.title()).toStartWith("● ");
    await page.waitForSelector('.pane-output .chip[data-status="succeeded"]', { timeout: 30_000 });
    expect((await text.textContent())!.split(" ").length).toBe(80);
    expect(await page.title()).toStartWith("✓ ");
    await page.screenshot({ path: join(SHOTS, "playground-stream-done.png") });

    await page.goto(`${s.url}/models/ui/slow`);
    await page.fill("#seconds", "60");
    await page.click("button.btn-run");
    await page.waitForSelector('.pane-output .chip[data-status="processing"]', { timeout: 30_000 });
    await page.waitForSelector(".pane-output .logs-box");
    await page.click(".pane-output button:has-text('Cancel')");
    await page.waitForSelector('.pane-output .chip[data-status="canceled"]', { timeout: 30_000 });
    const id = new URL(page.url()).searchParams.get("prediction")!;
    expect((await api("GET", `/v1/predictions/${id}`)).body.status).toBe("canceled");
    expect(await page.textContent(".pane-output .timing")).toMatch(/after \d/);
    await page.close();
  }, 120_000);

  it("finds a run in the history, opens it by its URL, and the copied curl snippet runs", async () => {
    const page = await open("/predictions");
    await page.locator(".run-row").first().waitFor();
    await page.selectOption("select >> nth=0", "ui/image");
    const row = page.locator(".run-row").first();
    expect(await row.textContent()).toContain("ui/image");
    const id = (await row.getAttribute("data-id"))!;
    await row.click();
    await page.waitForURL(`${s.url}/p/${id}`);
    await page.waitForSelector("img.output-image");
    expect(await page.textContent(".kv")).toContain("blue");
    // The same page straight from its URL (a shared link), with the server's urls.web.
    expect((await api("GET", `/v1/predictions/${id}`)).body.urls.web).toBe(`${s.url}/p/${id}`);
    const direct = await open(`/p/${id}`);
    await direct.waitForSelector('.chip[data-status="succeeded"]');
    await direct.close();

    // API tab: the curl for the form's current inputs, copied and run as it is.
    await page.goto(`${s.url}/models/ui/image?tab=api`);
    await page.click("button:has-text('Copy curl')");
    const curl = await page.evaluate(() => navigator.clipboard.readText());
    expect(curl).toContain(`${s.url}/v1/predictions`);
    // Async: the server runs in this process, so a blocking spawn would never get its answer.
    const run = Bun.spawn(["bash", "-c", curl], { env: { ...process.env, REPLICATE_API_TOKEN: s.adminToken! }, stdout: "pipe" });
    const answer = JSON.parse(await new Response(run.stdout).text());
    expect(await run.exited).toBe(0);
    expect(answer).toMatchObject({ status: "succeeded", model: "ui/image" });
    expect(answer.output).toMatch(/\.png$/);
    await page.click("role=tab[name='Node.js']");
    expect(await page.textContent("pre[data-snippet=node]")).toContain(`baseUrl: "${s.url}/v1"`);
    await page.click("role=tab[name='Python']");
    expect(await page.textContent("pre[data-snippet=python]")).toContain(`base_url="${s.url}"`);
    await page.close();
  }, 90_000);

  it("serves every page in light, dark and phone widths: no horizontal overflow, dark renders dark, a real 404", async () => {
    // The server: compressed, immutable hashed assets; unknown pages get the UI's not-found page with 404.
    const html = await fetch(`${s.url}/`, { headers: { "accept-encoding": "br" } });
    expect(html.headers.get("content-encoding")).toBe("br");
    const script = /src="(\/[^"]+\.js)"/.exec(await (await fetch(`${s.url}/`)).text())![1];
    const js = await fetch(`${s.url}${script}`, { headers: { "accept-encoding": "gzip" } });
    expect(js.headers.get("cache-control")).toContain("immutable");
    expect(js.headers.get("content-encoding")).toBe("gzip");
    const missing = await fetch(`${s.url}/no/such/page`, { headers: { accept: "text/html" } });
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('<div id="app">');
    expect((await fetch(`${s.url}/v1/nothing`)).headers.get("content-type")).toContain("problem+json");

    const id = (await api("GET", "/v1/predictions")).body.results[0].id;
    const pages: [string, string][] = [
      ["models", "/"],
      ["playground", "/models/ui/image"],
      ["api", "/models/ui/image?tab=api"],
      ["runs", "/models/ui/image?tab=runs"],
      ["versions", "/models/ui/image?tab=versions"],
      ["settings", "/models/ui/image?tab=settings"],
      ["prediction", `/p/${id}`],
      ["prediction-failed", `/p/${failedRun}`],
      ["predictions", "/predictions"],
      ["instances", "/instances"],
      ["add-model", "/models/new"],
      ["tokens", "/settings/tokens"],
      ["not-found", "/no/such/page"],
    ];
    // One tab per variant, moving between pages by the UI's own client-side routing (cheap under load).
    for (const [variant, opts] of [["light", {}], ["dark", { dark: true }], ["phone", { width: 390 }], ["narrow", { width: 360 }]] as const) {
      const page = await open("/", opts);
      for (const [name, path] of pages) {
        await page.evaluate((to) => {
          history.pushState(null, "", to);
          dispatchEvent(new PopStateEvent("popstate"));
        }, path);
        // Loaded: a heading, no "Loading…" left and every image decoded (generous: the machine may be busy).
        await page
          .waitForFunction(() => document.querySelector("main h1, main .tabs") && !document.querySelector(".loading") && [...document.images].every((i) => i.complete), undefined, { timeout: 60_000 })
          .catch((e: Error) => {
            throw new Error(`${name} (${variant}, ${path}) did not finish loading: ${e.message}`);
          });
        await page.screenshot({ path: join(SHOTS, `${name}-${variant}.png`), fullPage: true });
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(`${name}-${variant} overflow ${overflow}`).toBe(`${name}-${variant} overflow 0`);
        if (variant === "dark") {
          const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
          const [r, g, b] = bg.match(/\d+/g)!.map(Number);
          expect(r + g + b).toBeLessThan(120);
        }
        if (name === "not-found") expect(await page.textContent("main h1")).toContain("does not exist");
        if (name === "prediction-failed") {
          expect(await page.getAttribute("main .chip", "data-status")).toBe("failed");
          expect(await page.locator("main .error-block[role=alert]").count()).toBe(1);
        }
      }
      await page.close();
    }
    // A phone's touch targets: the nav links, tabs and buttons are at least 44 px tall.
    const phone = await open("/models/ui/image", { width: 360 });
    await phone.waitForSelector("button.btn-run", { timeout: 60_000 });
    // The links fold into the menu: every one of them fits the width, none scrolls out of sight.
    expect(await phone.locator("nav .nav-link").first().isVisible()).toBe(false);
    await phone.click("#menu-button");
    const links = await phone.locator("nav .nav-link").evaluateAll((els) => els.map((e) => [e.textContent, Math.round(e.getBoundingClientRect().right)] as const));
    expect(links.map(([t]) => t)).toEqual(["Models", "Predictions", "Instances", "Tokens", "Add a model"]);
    expect(links.every(([, right]) => right <= 360)).toBe(true);
    await phone.screenshot({ path: join(SHOTS, "menu-narrow.png") });
    const small = await phone.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>(".nav-link, .tab, .btn, .seg button")].filter((e) => e.offsetParent && e.getBoundingClientRect().height < 44).map((e) => e.textContent),
    );
    expect(small).toEqual([]);
    // Following a link closes the menu.
    await phone.click("nav >> text=Predictions");
    await phone.waitForURL(`${s.url}/predictions`);
    expect(await phone.getAttribute("#menu-button", "aria-expanded")).toBe("false");
    await phone.close();
    // The theme override wins over the system setting.
    const page = await open("/", { dark: true });
    await page.click("[data-theme-toggle]"); // system → light
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe("light");
    await page.reload();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe("light");
    await page.close();
    expect(problems).toEqual([]);
  }, 300_000);
});
