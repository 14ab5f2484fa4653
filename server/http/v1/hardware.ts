// GET /v1/hardware: what this machine can run on, as a bare array of {sku, name} (Replicate's shape).
import { Elysia } from "elysia";
import { hardwareList } from "../../runtime/hardware.ts";
import { json } from "../respond.ts";
import type { SchedulingDeps } from "../scheduling-context.ts";

export function hardwareRoutes(s: SchedulingDeps) {
  return new Elysia({ name: "v1-hardware" }).get("/v1/hardware", () => json(hardwareList(s.inventory)));
}
