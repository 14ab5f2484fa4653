// Small assertions shared by the HTTP tests: parsed bodies and the one problem shape.
import { expect } from "bun:test";

export async function body(res: Response): Promise<any> {
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}

/** A problem+json body {title, detail, status} with this status. */
export function expectProblem(res: Response, status: number, b: any): void {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  // (not toMatchObject with expect.any: Bun 1.4's writes the matchers into the received object)
  expect([b?.status, typeof b?.title, typeof b?.detail]).toEqual([status, "string", "string"]);
}
