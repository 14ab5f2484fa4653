// Who is calling, and what they may see. Admins see everything; a user token sees public models and
// the private models whose owner is its own name, and only the predictions and uploads it created.
import type { Role } from "./tokens.ts";

export interface Caller {
  /** tokens.id, or LOCAL_ID when auth is off */
  id: string;
  name: string;
  role: Role;
}

/** The one account there is when auth is off (loopback only): the person at the machine. */
export const LOCAL_ID = "local";

export const isAdmin = (c: Caller) => c.role === "admin";

export function canSeeModel(c: Caller, m: { owner: string; visibility: string }): boolean {
  return isAdmin(c) || m.visibility === "public" || m.owner === c.name;
}

/** Predictions and uploads belong to the token that made them; rows from before tokens only to admins. */
export function owns(c: Caller, row: { createdBy?: string | null }): boolean {
  return isAdmin(c) || (!!row.createdBy && row.createdBy === c.id);
}

/**
 * A prediction may be read by the token that made it, by admins, and — when the model's owner made
 * its predictions public — by anyone who may see the model. Acting on one (cancel) stays `owns`.
 */
export function canReadPrediction(c: Caller, row: { createdBy?: string | null }, m: { owner: string; visibility: string; predictions_visibility?: string } | null): boolean {
  if (owns(c, row)) return true;
  return !!m && m.predictions_visibility === "public" && canSeeModel(c, m);
}

/** The filter lists apply for this caller: undefined = everything (admins). */
export const viewerOf = (c: Caller): string | undefined => (isAdmin(c) ? undefined : c.name);
export const creatorFilterOf = (c: Caller): string | undefined => (isAdmin(c) ? undefined : c.id);
