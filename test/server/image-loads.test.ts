// The docker load fed in parts, over an in-memory ImageTransfer that records the bytes it is given.
import { describe, expect, it } from "bun:test";
import { AppError } from "../../server/errors.ts";
import { ImageLoads, MAX_LOADS } from "../../server/runtime/image-loads.ts";
import type { ImageTransfer, LoadedImage } from "../../server/runtime/image-transfer.ts";

function recorder(fail?: string) {
  const loads: string[] = [];
  const transfer: ImageTransfer = {
    pull: async () => {},
    size: async () => ({ id: "x", bytes: 0 }),
    save: async () => new ReadableStream(),
    async load(tar): Promise<LoadedImage[]> {
      let text = "";
      for await (const c of tar as AsyncIterable<Uint8Array>) {
        text += new TextDecoder().decode(c);
        if (fail && text.includes(fail)) throw new AppError(400, "Bad request", "not a tar");
      }
      loads.push(text);
      return [{ ref: "acme/x:latest", id: "a".repeat(64) }];
    },
  };
  return { loads, transfer };
}
const body = (s: string) => new Response(s).body;
const status = async (p: Promise<unknown>) => p.then(() => 0, (e: AppError) => e.status);

describe("image loads in parts", () => {
  it("writes the parts in order into one load and returns what the engine loaded", async () => {
    const { loads, transfer } = recorder();
    const l = new ImageLoads(transfer);
    const id = l.start();
    expect(await l.append(id, 0, body("hello "), 100)).toBe(6);
    expect(await l.append(id, 6, body("world"), 100)).toBe(11);
    expect(await l.finish(id)).toEqual([{ ref: "acme/x:latest", id: "a".repeat(64) }]);
    expect(loads).toEqual(["hello world"]);
    expect(await status(l.append(id, 11, body("x"), 100))).toBe(404); // finished: gone
  });

  it("refuses a part at the wrong offset (409), one over the size limit (413), and finishing with nothing sent (400)", async () => {
    const { transfer } = recorder();
    const l = new ImageLoads(transfer);
    const id = l.start();
    await l.append(id, 0, body("abc"), 100);
    expect(await status(l.append(id, 0, body("abc"), 100))).toBe(409);
    expect(await status(l.append(id, 3, body("x".repeat(200)), 100))).toBe(413);
    expect(await status(l.append(id, 3, body("x"), 100))).toBe(404); // an oversized part ends the load
    expect(await status(l.finish(l.start()))).toBe(400);
  });

  it("keeps at most MAX_LOADS open (429); an idle one expires", async () => {
    const { transfer } = recorder();
    const l = new ImageLoads(transfer, 50);
    for (let i = 0; i < MAX_LOADS; i++) l.start();
    expect(() => l.start()).toThrow(expect.objectContaining({ status: 429 }));
    await Bun.sleep(120);
    expect(typeof l.start()).toBe("string");
    l.close();
  });

  it("reports the engine's error, not the broken pipe", async () => {
    const { transfer } = recorder("BAD");
    const l = new ImageLoads(transfer);
    const id = l.start();
    await l.append(id, 0, body("BAD"), 100);
    const err = await l.finish(id).then(() => null, (e: AppError) => e);
    expect(err?.detail).toBe("not a tar");
  });
});
