import { describe, expect, it } from "bun:test";
import { parseArgs } from "../../cli/args.ts";
import { InputError, readInputs } from "../../cli/commands/predict.ts";

describe("modelhub predict inputs", () => {
  it("collects repeated -i / --input pairs apart from flags", () => {
    expect(parseArgs(["predict", "a/b", "-i", "x=1", "--input", "y=2", "--url", "http://h"])).toEqual({
      positionals: ["predict", "a/b"],
      flags: { url: "http://h" },
      inputs: ["x=1", "y=2"],
    });
  });

  it("reads name=value, strips surrounding quotes, makes a list of a repeated name", () => {
    expect(readInputs(["prompt=\"a cat\"", "tags=a", "tags=b", "n=7", "eq=a=b"])).toEqual({ prompt: "a cat", tags: ["a", "b"], n: "7", eq: "a=b" });
  });

  it("sends @file as a data URL with its type from the extension, like cog predict", () => {
    const files: Record<string, Buffer> = { "cat.png": Buffer.from([1, 2, 3]), "notes.bin": Buffer.from("hi") };
    expect(readInputs(["image=@cat.png", "raw=@notes.bin"], (p) => files[p])).toEqual({
      image: "data:image/png;base64,AQID",
      raw: "data:application/octet-stream;base64,aGk=",
    });
  });

  it("refuses a pair without a name", () => {
    expect(() => readInputs(["=x"])).toThrow(InputError);
    expect(() => readInputs(["novalue"])).toThrow(/name=value/);
  });
});
