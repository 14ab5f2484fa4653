// The web UI in a real browser (headless Chromium) against a live modelhub and a real container:
// the model list links to a model's page, whose form is generated from the image's schema; running
// it opens the prediction's page (its urls.web), which shows the output and is marked source "web".
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { dockerTests, startLiveServer, type LiveServer } from "../helpers/live-server.ts";

const CHROMIUM = "/usr/bin/chromium";

describe.skipIf(!dockerTests)("web UI in Chromium", () => {
  let s: LiveServer;
  let browser: Browser;
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: test/run.sh installs Debian's chromium`);
    s = await startLiveServer();
    await s.addModel("modelhub-test/hello:latest", "ui/hello");
    await s.addModel("modelhub-test/image:latest", "ui/image");
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await s?.[Symbol.asyncDispose]();
  });

  it("runs a model from its generated form and shows the result on the prediction's page", async () => {
    const page = await browser.newPage();
    const failed: string[] = [];
    page.on("requestfailed", (r) => failed.push(r.url()));
    page.on("response", (r) => r.status() >= 400 && failed.push(`${r.status()} ${r.url()}`));
    await page.goto(`${s.url}/`);
    await page.click("text=ui/hello");
    await page.waitForURL(`${s.url}/models/ui/hello`);
    await page.fill("#text", "browser");
    await page.click("button[type=submit]");
    await page.waitForURL(/\/p\/[a-z2-7]{26}$/);
    await page.waitForSelector("text=hello browser");
    const id = page.url().split("/p/")[1];
    const p = (await s.api("GET", `/v1/predictions/${id}`)).body;
    expect(p).toMatchObject({ status: "succeeded", output: "hello browser", source: "web" });
    expect(p.urls.web).toBe(page.url());
    expect(failed).toEqual([]);
  }, 60_000);

  it("builds every widget from the schema and shows an image output", async () => {
    const page = await browser.newPage();
    await page.goto(`${s.url}/models/ui/image`);
    await page.waitForSelector("form");
    // enum → select with the default chosen, integer range → number, boolean → checkbox, secret → password
    expect(await page.inputValue("select#width")).toBe("256");
    expect(await page.getAttribute("#height", "type")).toBe("number");
    expect(await page.getAttribute("#grid", "type")).toBe("checkbox");
    expect(await page.getAttribute("#api_key", "type")).toBe("password");
    await page.selectOption("select#color", "blue");
    await page.fill("#height", "32");
    await page.click("button[type=submit]");
    await page.waitForURL(/\/p\//);
    const img = await page.waitForSelector("img.output-image");
    expect(await img.evaluate((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalHeight)).toBe(32);
    const id = page.url().split("/p/")[1];
    expect((await s.api("GET", `/v1/predictions/${id}`)).body.input).toMatchObject({ color: "blue", height: 32, width: 256 });
    await page.screenshot({ path: "/tmp/modelhub-ui-prediction.png" });
  }, 60_000);

  it("shows an invalid input next to the form (the shared validation module) instead of losing the input", async () => {
    const page = await browser.newPage();
    await page.goto(`${s.url}/models/ui/image`);
    await page.fill("#height", "5000");
    await page.click("button[type=submit]");
    await page.waitForSelector("[role=alert]");
    expect(await page.textContent("[role=alert]")).toContain("height");
    expect(page.url()).toBe(`${s.url}/models/ui/image`);
    expect(await page.inputValue("#height")).toBe("5000");
  }, 60_000);
});
