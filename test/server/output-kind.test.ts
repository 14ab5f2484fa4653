// The server decides iterator and file outputs with the same contract functions the schema tests
// cover (server/contract/cog-schema.ts), on the real Cog documents.
import { describe, expect, it } from "bun:test";
import type { Version } from "../../server/catalog/catalog.ts";
import { isFileOutput, isIteratorOutput, outputSchema, type OpenApiDocument } from "../../server/contract/cog-schema.ts";
import { outputInfo } from "../../server/predictions/output-schema.ts";
import { loadSchema } from "../helpers/cog-schema-fixtures.ts";

const cases: [string, boolean, boolean][] = [
  ["llm-concatenate-iterator-cog-0.13.6-pydantic1.json", true, false],
  ["stable-diffusion-replicate-fixture.json", false, true],
  ["kitchen-sink-cog-0.13.6-pydantic1.json", false, true],
  ["structured-output-cog-0.13.6-pydantic1.json", false, false],
  ["hello-world-cog-0.13.6-pydantic1.json", false, false],
];

describe("output kind on the server", () => {
  for (const [file, iterator, fileOutput] of cases) {
    it(`${file}: iterator ${iterator}, file output ${fileOutput}`, () => {
      const doc = loadSchema(file);
      const info = outputInfo({ id: file, openapiSchema: doc } as Version);
      expect([info.iterator, info.fileOutput]).toEqual([iterator, fileOutput]);
      const out = outputSchema(doc as OpenApiDocument);
      expect([isIteratorOutput(out), isFileOutput(out)]).toEqual([iterator, fileOutput]);
    });
  }

  it("an Output that $refs its component (a BaseModel not named Output) is resolved once, the same way", () => {
    const doc: Record<string, unknown> = {
      components: { schemas: { Output: { $ref: "#/components/schemas/Frames", title: "Output" }, Frames: { type: "array", items: { type: "string", format: "uri" }, "x-cog-array-type": "iterator" } } },
    };
    const info = outputInfo({ id: "ref-output", openapiSchema: doc } as Version);
    expect([info.iterator, info.fileOutput]).toEqual([true, true]);
  });
});
