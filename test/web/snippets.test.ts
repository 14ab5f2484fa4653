// API snippets: each client's /v1 convention, the model:version, inputs as literals of each language,
// secrets read from the environment; and how outputs are classified for display.
import { describe, expect, test } from "bun:test";
import { classify, fileKind } from "../../web/lib/output-kind.ts";
import { curlSnippet, nodeSnippet, pythonSnippet } from "../../web/lib/snippets.ts";

const s = { origin: "http://127.0.0.1:5100", model: "acme/img", version: "abc123", input: { prompt: `it's "quoted" $HOME`, steps: 30, grid: true, seed: null, "odd-key": 1 }, secrets: [] };

describe("snippets", () => {
  test("curl: /v1 in the URL, the JSON body in a quoted heredoc (nothing expanded)", () => {
    const c = curlSnippet(s);
    expect(c).toStartWith(`curl -s -X POST "http://127.0.0.1:5100/v1/predictions"`);
    expect(c).toContain("--data @- <<'EOF'\n");
    const body = JSON.parse(c.split("\n").at(-2)!);
    expect(body).toEqual({ version: "abc123", input: s.input });
  });

  test("node: baseUrl WITH /v1; python: base_url WITHOUT it; literals per language", () => {
    const n = nodeSnippet(s);
    expect(n).toContain(`baseUrl: "http://127.0.0.1:5100/v1"`);
    expect(n).toContain(`replicate.run("acme/img:abc123"`);
    expect(n).toContain(`  steps: 30,`);
    expect(n).toContain(`  "odd-key": 1`);
    const py = pythonSnippet(s);
    expect(py).toContain(`base_url="http://127.0.0.1:5100")`);
    expect(py).toContain(`"grid": True`);
    expect(py).toContain(`"seed": None`);
    expect(py).not.toContain("5100/v1");
  });

  test("secrets come from the environment, never printed", () => {
    const withSecret = { ...s, input: { prompt: "x", api_key: "hunter2" }, secrets: ["api_key"] };
    for (const code of [curlSnippet(withSecret), nodeSnippet(withSecret), pythonSnippet(withSecret)]) expect(code).not.toContain("hunter2");
    expect(nodeSnippet(withSecret)).toContain("api_key: process.env.API_KEY");
    expect(pythonSnippet(withSecret)).toContain(`"api_key": os.environ["API_KEY"]`);
  });
});

describe("output kinds", () => {
  test("by schema and value: concatenated text, files by extension, galleries, JSON", () => {
    const concat = { type: "array", items: { type: "string" }, "x-cog-array-type": "iterator", "x-cog-array-display": "concatenate" };
    expect(classify(["Hel", "lo"], concat)).toEqual({ kind: "text", text: "Hello" });
    expect(classify(["a", "b"], { type: "array", items: { type: "string" } })).toEqual({ kind: "texts", items: ["a", "b"] });
    expect(classify("http://h/files/t/out.png")).toEqual({ kind: "file", url: "http://h/files/t/out.png", file: "image" });
    expect(classify(["http://h/a.wav", "http://h/b.wav"])).toEqual({ kind: "gallery", urls: ["http://h/a.wav", "http://h/b.wav"] });
    expect(classify({ a: 1 })).toEqual({ kind: "json" });
    expect(classify(3)).toEqual({ kind: "scalar", text: "3" });
    expect(classify(null)).toEqual({ kind: "empty" });
    expect(fileKind("data:audio/wav;base64,AAA")).toBe("audio");
    expect(fileKind("http://h/x.mp4?sig=1")).toBe("video");
    expect(fileKind("http://h/x.bin")).toBe("file");
  });
});
