// The registry's access policy over modelhub's own tokens: `docker login` takes a modelhub API token
// as its password; a push needs write on the owner (an admin, or the token whose name is the owner);
// a pull needs read (public models for anyone, private ones for their owner and admins). A model that
// does not exist yet reads like a private one, so an anonymous pull cannot tell the two apart.
import type { Catalog } from "../catalog/catalog.ts";
import type { RegistryAccessPolicy, RegistryIdentity } from "./access.ts";

export function tokenRegistryPolicy(o: {
  /** true when modelhub requires tokens (--auth on) */
  required: boolean;
  /** the token store's verify: a live token's id, name and role, or null */
  verify(secret: string): RegistryIdentity | null;
  catalog: Catalog;
}): RegistryAccessPolicy {
  const ownsOwner = (who: RegistryIdentity | null, owner: string) => !!who && (who.role === "admin" || who.name === owner);
  return {
    required: o.required,
    verify: (secret) => {
      const r = o.verify(secret);
      return r ? { id: r.id, name: r.name, role: r.role } : null;
    },
    mayWrite: (who, owner) => ownsOwner(who, owner),
    mayRead: (who, owner, model) => {
      if (!o.required || ownsOwner(who, owner)) return true;
      return o.catalog.findModel(owner, model)?.visibility === "public";
    },
  };
}
