import type { Context } from "../context.ts";
export async function pull(_ctx: Context, _image: string, _name?: string): Promise<number> {
  throw new Error("not yet");
}
