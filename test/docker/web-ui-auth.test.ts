// The web UI in real Chromium against a live modelhub that requires tokens (the default): the
// sign-in page, the admin's pages on the real routes (tokens shown once and revoked, a model added
// from a local image, a model made private), and what a user token sees: no admin pages, its own
// runs only, a private model's not-found page; then signing out. Screenshots go to .tmp/screenshots/.
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { dockerTests, startLiveServer, type LiveServer } from "../helpers/live-server.ts";
import { until } from "../helpers/until.ts";

const CHROMIUM = "/usr/bin/chromium";
const SHOTS = resolve(import.meta.dir, "../../.tmp/screenshots");

describe.skipIf(!dockerTests)("web UI with tokens, in Chromium", () => {
  let s: LiveServer;
  let browser: Browser;
  let admin: Record<string, string>;
  /** made on the Tokens page by the first test */
  let userToken = "";
  let adminRun = "";
  const problems: string[] = [];
  const api = (method: string, path: string, body?: unknown, headers: Record<string, string> = admin) => s.api(method, path, body, headers);

  /** A fresh browser profile (nothing in localStorage): nobody is signed in. */
  async function fresh(path: string, opts: { width?: number; dark?: boolean; lateEffects?: boolean } = {}): Promise<Page> {
    const ctx = await browser.newContext({ viewport: { width: opts.width ?? 1280, height: opts.width ? 844 : 900 }, colorScheme: opts.dark ? "dark" : "light" });
    if (opts.lateEffects)
      await ctx.addInitScript(() => {
        // Preact runs effects after the next frame (requestAnimationFrame, or a 35 ms timer): hold
        // both back for 1.5 s so the API's answers surely land between a render and its effects, as
        // they do on a fast idle machine where the server answers within a frame.
        const later = window.setTimeout;
        (window as any).setTimeout = (f: TimerHandler, ms?: number, ...rest: unknown[]) => later(f, ms === 35 ? 1500 : ms, ...rest);
        (window as any).requestAnimationFrame = () => 0;
      });
    const page = await ctx.newPage();
    page.on("pageerror", (e) => problems.push(`${path}: ${e.message}`));
    page.on("dialog", (d) => void d.accept());
    await page.goto(`${s.url}${path}`);
    return page;
  }
  async function signIn(page: Page, token: string) {
    await page.waitForSelector("text=Sign in to modelhub");
    await page.fill("#token", token);
    await page.click("button:has-text('Sign in')");
  }
  const navLinks = (page: Page) => page.locator("nav .nav-link").allTextContents();
  const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: test/run.sh installs Debian's chromium`);
    mkdirSync(SHOTS, { recursive: true });
    s = await startLiveServer({ auth: "on" });
    admin = { authorization: `Bearer ${s.adminToken}` };
    expect((await api("POST", "/v1/models/ui/image/versions", { image: "modelhub-test/image:latest" })).status).toBeLessThan(300);
    const first = await api("POST", "/v1/predictions", { version: "ui/image", input: { color: "blue", height: 48 } }, { ...admin, prefer: "wait" });
    if (first.body.status !== "succeeded") throw new Error(`the admin's prediction did not succeed: ${JSON.stringify(first.body)}`);
    adminRun = first.body.id;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await s?.[Symbol.asyncDispose]();
  }, 30_000);

  it("signs in with the admin token; tokens are shown once and revoked, a model is added and made private", async () => {
    const page = await fresh("/");
    // Nobody signed in: the sign-in page, without navigation links that would lead back to it.
    await page.waitForSelector("text=Sign in to modelhub");
    expect(await navLinks(page)).toEqual([]);
    await shot(page, "sign-in-light");
    await page.fill("#token", "mh_not-a-real-token");
    await page.click("button:has-text('Sign in')");
    await page.waitForSelector("text=That token is not valid on this server.");
    await signIn(page, s.adminToken!);
    await page.waitForSelector("text=ui/image");
    expect(await page.evaluate(() => localStorage.getItem("modelhub.token"))).toBe(s.adminToken);
    expect(await navLinks(page)).toEqual(["Models", "Predictions", "Instances", "Tokens", "Add a model"]);
    expect(await page.textContent(".account-end")).toContain("admin");

    // Tokens: a new token is shown once, listed without its secret, and works; another is revoked.
    await page.click("nav >> text=Tokens");
    await page.waitForSelector("h1:has-text('API tokens')");
    await page.fill("#token-name", "alice");
    await page.click("button:has-text('Create token')");
    userToken = (await page.textContent(".token-value", { timeout: 10_000 }))!.trim();
    expect(userToken).toMatch(/^mh_[A-Za-z0-9_-]{43}$/);
    expect((await api("GET", "/v1/account", undefined, { authorization: `Bearer ${userToken}` })).body).toMatchObject({ username: "alice", role: "user" });
    await page.waitForSelector("td:has-text('alice')");
    await page.fill("#token-name", "old-laptop");
    await page.click("button:has-text('Create token')");
    const row = page.locator("tr", { has: page.locator("td", { hasText: "old-laptop" }) });
    await row.waitFor();
    await shot(page, "tokens-created-light");
    await row.locator("button:has-text('Revoke')").click();
    await row.waitFor({ state: "detached" });
    const names = (await api("GET", "/v1/tokens")).body.results.map((t: { name: string }) => t.name);
    expect(names).toContain("alice");
    expect(names).not.toContain("old-laptop");
    await page.reload();
    await page.waitForSelector("td:has-text('alice')");
    expect(await page.locator(".token-value").count()).toBe(0); // shown once only

    // Add a model from an image on this machine: its page opens with the form from the image's schema.
    await page.click("nav >> text=Add a model");
    await page.fill("#image", "modelhub-test/stream:latest");
    await page.fill("#model-name", "team/secret");
    await page.click("button:has-text('Add model')");
    await page.waitForURL(`${s.url}/models/team/secret`, { timeout: 30_000 });
    await page.waitForSelector("#prompt");
    expect((await api("GET", "/v1/models/team/secret")).body.latest_version.id).toBeTruthy();

    // Settings: private.
    await page.click("role=tab[name='Settings']");
    await page.check("input[name=visibility] >> nth=1");
    await page.click("button:has-text('Save') >> nth=0");
    await page.waitForSelector("text=Saved.");
    expect((await api("GET", "/v1/models/team/secret")).body.visibility).toBe("private");
    expect(await page.textContent(".model-title .tag")).toBe("Private");
    await page.context().close();
  }, 120_000);

  it("a user token sees no admin pages, only its own runs, a private model's not-found page; then signs out", async () => {
    expect(userToken).toMatch(/^mh_/);
    const page = await fresh("/models/ui/image");
    await signIn(page, userToken);
    // Signed in where it was asked: the model page, with no Settings tab for a user.
    await page.waitForSelector("button.btn-run");
    expect(new URL(page.url()).pathname).toBe("/models/ui/image");
    expect(await navLinks(page)).toEqual(["Models", "Predictions"]);
    expect(await page.locator("role=tab[name='Settings']").count()).toBe(0);
    // Before its first run: the Runs tab's empty state.
    await page.click("role=tab[name='Runs']");
    await page.waitForSelector("text=None of your predictions yet");
    await shot(page, "runs-empty-user-light");
    await page.click("role=tab[name='Playground']");
    await page.fill("#height", "40");
    await page.click("button.btn-run");
    const img = await page.waitForSelector(".pane-output img.output-image", { timeout: 30_000 });
    await until("the output image to load", () => img.evaluate((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalHeight === 40), 10_000);
    const mine = new URL(page.url()).searchParams.get("prediction")!;
    expect((await api("GET", `/v1/predictions/${mine}`)).body).toMatchObject({ status: "succeeded", source: "web" });

    // The API tab shows the user's own token, masked until asked.
    await page.click("role=tab[name='API']");
    const tokenLine = page.locator("pre[data-snippet=token]");
    expect(await tokenLine.textContent()).not.toContain(userToken);
    await page.click(".api-tab button:has-text('Show')");
    expect(await tokenLine.textContent()).toContain(userToken);

    // History: the user's run, not the admin's.
    await page.click("nav >> text=Predictions");
    await page.locator(".run-row").first().waitFor();
    const ids = await page.locator(".run-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-id")));
    expect(ids).toEqual([mine]);
    await shot(page, "predictions-user-light");
    await page.goto(`${s.url}/models/ui/image?tab=runs`);
    await page.locator(".run-row").first().waitFor();
    expect(await page.locator(".run-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-id")))).toEqual([mine]);
    await page.goto(`${s.url}/predictions`);
    await page.locator(".run-row").first().waitFor();
    await page.click(`.run-row[data-id="${mine}"]`);
    await page.waitForURL(`${s.url}/p/${mine}`);
    await page.waitForSelector('.chip[data-status="succeeded"]');
    await shot(page, "prediction-user-light");

    // Someone else's prediction, a private model and the admin pages are not there for this token.
    await page.goto(`${s.url}/p/${adminRun}`);
    await page.waitForSelector(`text=The prediction ${adminRun} was not found`);
    await page.goto(`${s.url}/models/team/secret`);
    await page.waitForSelector("text=The model team/secret was not found");
    await shot(page, "private-model-user-light");
    for (const path of ["/settings/tokens", "/models/new", "/instances"]) {
      await page.goto(`${s.url}${path}`);
      await page.waitForSelector("h1:has-text('This page is for admins')");
    }
    await page.goto(`${s.url}/`);
    await page.waitForSelector("text=ui/image");
    expect(await page.locator("text=team/secret").count()).toBe(0);
    expect(await page.locator("a:has-text('Add a model')").count()).toBe(0);

    // Signing out forgets the token and shows the sign-in page; the API then answers 401.
    await page.click(".account-end button:has-text('Sign out')");
    await page.waitForURL(`${s.url}/sign-in`);
    await page.waitForSelector("text=Sign in to modelhub");
    expect(await page.evaluate(() => localStorage.getItem("modelhub.token"))).toBeNull();
    await page.goto(`${s.url}/predictions`);
    await page.waitForSelector("text=Sign in to modelhub");
    await page.context().close();
  }, 120_000);

  // The failure this file once had in full runs only (on an idle machine): the page asks for the
  // account before its first render, and a shell that subscribed to the account in an effect (after
  // the first frame) never saw an answer that came sooner: no admin pages, no Sign out, for good.
  it("shows who is signed in even when the account arrives before the page's first frame", async () => {
    for (const [path, ready] of [["/settings/tokens", "td:has-text('alice')"], ["/", "text=ui/image"]] as const) {
      const page = await fresh("/sign-in", { lateEffects: true });
      await page.evaluate((t) => localStorage.setItem("modelhub.token", t), s.adminToken!);
      await page.goto(`${s.url}${path}`);
      await page.waitForSelector(ready);
      await page.waitForSelector(".account-end button:has-text('Sign out')");
      expect(await navLinks(page)).toEqual(["Models", "Predictions", "Instances", "Tokens", "Add a model"]);
      await page.context().close();
    }
  }, 90_000);

  it("signed in on a phone: the menu holds every link and signing out; screenshots of the sign-in page", async () => {
    for (const [variant, opts] of [["dark", { dark: true }], ["phone", { width: 390 }], ["narrow", { width: 360 }]] as const) {
      const page = await fresh("/sign-in", opts);
      await page.waitForSelector("text=Sign in to modelhub");
      await shot(page, `sign-in-${variant}`);
      expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBe(0);
      await page.context().close();
    }
    const page = await fresh("/", { width: 360 });
    await signIn(page, userToken);
    await page.waitForSelector("text=ui/image");
    await page.click("#menu-button");
    expect(await page.locator("nav .nav-link").allTextContents()).toEqual(["Models", "Predictions"]);
    expect(await page.textContent(".nav-account")).toContain("alice (user)");
    await shot(page, "menu-user-narrow");
    await page.click(".nav-account button:has-text('Sign out')");
    await page.waitForURL(`${s.url}/sign-in`);
    await page.context().close();
    expect(problems).toEqual([]);
  }, 90_000);
});
