import type { Context } from "../context.ts";
export async function exportBundle(_ctx: Context, _ref: string | undefined, _out: string | undefined, _force: boolean): Promise<number> {
  throw new Error("not yet");
}
export async function importBundle(_ctx: Context, _file: string, _name?: string): Promise<number> {
  throw new Error("not yet");
}
