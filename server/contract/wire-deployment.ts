// Wire shapes of hardware SKUs and deployments (docs/replicate-api.md, Objects).
import { type Static, t } from "elysia";
import { Int, Timestamp } from "./wire-common.ts";
import { Account } from "./wire-account.ts";
import { MODEL_PART } from "./model-name.ts";
import { MAX_INSTANCES } from "./wire-extensions.ts";

export const Hardware = t.Object({
  sku: t.String({ description: "cpu, gpu-Nx (any N GPUs) or gpu-I[-J…] (pinned GPUs)" }),
  name: t.String(),
});

/** GET /v1/hardware is a bare array, not a Page (Python iterates it directly). */
export const HardwareList = t.Array(Hardware);

/** Python requires owner and name; a present current_release needs every field, created_by a valid Account. */
export const Deployment = t.Object({
  owner: t.String(),
  name: t.String(),
  current_release: t.Optional(
    t.Object({
      number: Int({ minimum: 1 }),
      model: t.String({ description: "owner/name" }),
      version: t.String(),
      created_at: Timestamp,
      created_by: Account,
      configuration: t.Object({
        hardware: t.String(),
        min_instances: Int({ minimum: 0 }),
        max_instances: Int({ minimum: 1 }),
      }),
    }),
  ),
});

const Name = t.String({ pattern: MODEL_PART.source, description: "lowercase letters, digits, '.', '_' or '-'" });

export const DeploymentCreate = t.Object({
  name: Name,
  model: t.String({ pattern: "^[^/]+/[^/]+$", description: "owner/name" }),
  version: t.Optional(t.String({ minLength: 1, description: "defaults to the model's latest version" })),
  hardware: t.Optional(t.String({ description: "a SKU from GET /v1/hardware; defaults to cpu" })),
  min_instances: t.Optional(Int({ minimum: 0, maximum: MAX_INSTANCES, description: "containers kept warm" })),
  max_instances: t.Optional(Int({ minimum: 1, maximum: MAX_INSTANCES, description: "containers a growing queue may scale out to" })),
  owner: t.Optional({ ...Name, description: "modelhub: defaults to the model's owner" }),
});

/** Any of version, hardware and instance counts (each change is a new release); `model` may be
 *  repeated but not changed. */
export const DeploymentUpdate = t.Partial(t.Omit(DeploymentCreate, ["name", "owner"]));

export type DeploymentCreateBody = Static<typeof DeploymentCreate>;
export type DeploymentUpdateBody = Static<typeof DeploymentUpdate>;
