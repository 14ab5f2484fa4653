import { describe, expect, it } from "bun:test";
import { parseArgs } from "../../cli/args.ts";
import { LocalFile, readInputs } from "../../cli/commands/predict.ts";
import { UsageError } from "../../cli/usage.ts";

describe("modelhub predict inputs", () => {
  it("collects repeated -i / --input pairs apart from flags", () => {
    expect(parseArgs(["predict", "a/b", "-i", "x=1", "--input", "y=2", "--url", "http://h", "-q", "--no-wait"])).toEqual({
      positionals: ["predict", "a/b"],
      flags: { url: "http://h", quiet: "true", "no-wait": "true" },
      inputs: ["x=1", "y=2"],
    });
  });

  it("reads --color alone, with a value, and --color=never", () => {
    expect(parseArgs(["ps", "--color"]).flags.color).toBe("always");
    expect(parseArgs(["ps", "--color", "never"]).flags.color).toBe("never");
    expect(parseArgs(["ps", "--color=auto", "x"])).toMatchObject({ flags: { color: "auto" }, positionals: ["ps", "x"] });
  });

  it("reads name=value, strips surrounding quotes, makes a list of a repeated name", () => {
    expect(readInputs(["prompt=\"a cat\"", "tags=a", "tags=b", "n=7", "eq=a=b"])).toEqual({ prompt: "a cat", tags: ["a", "b"], n: "7", eq: "a=b" });
  });

  it("turns @file into a file to upload, typed by its extension like cog predict", () => {
    const sizes: Record<string, number> = { "cat.png": 3, "notes.bin": 2 };
    const v = readInputs(["image=@cat.png", "raw=@notes.bin"], (p) => sizes[p] ?? null);
    expect(v.image).toBeInstanceOf(LocalFile);
    expect(v.image).toMatchObject({ path: "cat.png", size: 3, type: "image/png", name: "cat.png" });
    expect(v.raw).toMatchObject({ type: "application/octet-stream" });
  });

  it("a missing @file is a usage error naming the path", () => {
    expect(() => readInputs(["image=@/nonexistent/cat.png"], () => null)).toThrow(UsageError);
    expect(() => readInputs(["image=@/nonexistent/cat.png"], () => null)).toThrow("/nonexistent/cat.png");
  });

  it("refuses a pair without a name", () => {
    expect(() => readInputs(["=x"])).toThrow(UsageError);
    expect(() => readInputs(["novalue"])).toThrow(/name=value/);
  });
});
