// Who may push and pull. The registry does not know how modelhub tokens are stored: it is given a
// RegistryAccessPolicy (token-policy.ts: verify a secret, may this identity write/read that model) and adds Docker's
// token dance on top: /v2/ challenges with Bearer, /v2/token trades a `docker login` password (a
// modelhub token) for a short-lived opaque token scoped to repositories.
import { DistributionError } from "./distribution-errors.ts";

export interface RegistryIdentity {
  id: string;
  name: string;
  role: "admin" | "user";
}

export interface RegistryAccessPolicy {
  /** false when modelhub runs on loopback with authentication off: everything is anonymous */
  required: boolean;
  /** a modelhub API token (the `docker login` password) → who it is, or null */
  verify(secret: string): RegistryIdentity | null;
  mayWrite(who: RegistryIdentity, owner: string): boolean;
  /** anonymous callers (who = null) may read public models */
  mayRead(who: RegistryIdentity | null, owner: string, model: string): boolean;
}

export type Action = "pull" | "push";
interface Grant {
  who: RegistryIdentity | null;
  expires: number;
  /** a node's pull token opens this one repository for pulls and nothing else */
  onlyPull?: string;
}

const TOKEN_TTL_S = 900;

export class RegistryAccess {
  private grants = new Map<string, Grant>();
  /** modelhub's own engine pulls present this as their password (through X-Registry-Auth). */
  readonly internalSecret = `mhreg_${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url")}`;
  private internal: RegistryIdentity = { id: "registry-internal", name: "modelhub", role: "admin" };

  constructor(private policy: RegistryAccessPolicy) {}

  get required(): boolean {
    return this.policy.required;
  }

  private identify(secret: string): RegistryIdentity | null {
    if (secret === this.internalSecret) return this.internal;
    return this.policy.verify(secret);
  }

  private allowed(who: RegistryIdentity | null, repo: string, action: Action): boolean {
    const [owner, model] = repo.split("/");
    if (who === this.internal) return true;
    if (action === "push") return !!who && model !== undefined && this.policy.mayWrite(who, owner);
    return this.policy.mayRead(who, owner, model ?? "");
  }

  /**
   * GET /v2/token: Basic credentials (after `docker login`) or none (anonymous pull). Wrong
   * credentials are a 401, so `docker login` with a bad password fails instead of "succeeding".
   * The token stands for the caller; each request is then checked against what the caller may do.
   */
  issueToken(authorization: string | null): { token: string; access_token: string; expires_in: number; issued_at: string } {
    let who: RegistryIdentity | null = null;
    if (authorization) {
      const secret = credentialSecret(authorization);
      who = secret === null ? null : this.identify(secret);
      if (!who) throw new DistributionError(401, "UNAUTHORIZED", "modelhub did not accept these credentials: use a modelhub API token as the password of `docker login`");
    }
    this.prune();
    const token = `mhr_${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url")}`;
    this.grants.set(token, { who, expires: Date.now() + TOKEN_TTL_S * 1000 });
    return { token, access_token: token, expires_in: TOKEN_TTL_S, issued_at: new Date().toISOString() };
  }

  /**
   * A short-lived token for a node's engine to pull `repo` (modelhub's own pull, passed as
   * `registrytoken` in X-Registry-Auth, so the engine sends it as Bearer): it opens pulls of that
   * one repository for TOKEN_TTL_S and nothing else, so one leaked from a node is worth little.
   */
  pullToken(repo: string): string {
    this.prune();
    const token = `mhr_${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url")}`;
    this.grants.set(token, { who: this.internal, expires: Date.now() + TOKEN_TTL_S * 1000, onlyPull: repo });
    return token;
  }

  /**
   * Checks a request for `action` on `repo` (null: the ping). Throws 401 with the Bearer challenge
   * when credentials are missing or not enough, 403 when a known caller may not do it.
   */
  check(request: Request, repo: string | null, action: Action, realm: string): RegistryIdentity | null {
    if (!this.policy.required) return null;
    const header = request.headers.get("authorization");
    const challenge = (error: string) =>
      new DistributionError(401, "UNAUTHORIZED", error, null, {
        "www-authenticate": `Bearer realm="${realm}",service="modelhub"${repo ? `,scope="repository:${repo}:${action === "push" ? "push,pull" : "pull"}"` : ""}`,
      });
    const bearer = header && /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    if (bearer) {
      const grant = this.grants.get(bearer);
      if (grant && grant.expires > Date.now()) {
        if (grant.onlyPull !== undefined && repo !== null && (repo !== grant.onlyPull || action !== "pull"))
          throw challenge(`this token only pulls ${grant.onlyPull}`);
        // What a token opens follows from who it was issued to, checked now (a model made private
        // meanwhile is closed at once), not from the scopes the client asked for.
        if (repo === null || this.allowed(grant.who, repo, action)) return grant.who;
        if (grant.who && action === "push" && this.allowed(grant.who, repo, "pull"))
          throw new DistributionError(403, "DENIED", `${grant.who.name} may not push to ${repo}: a push needs a token allowed to write the owner ${repo.split("/")[0]}`);
        throw challenge(`authentication required to ${action} ${repo}`);
      }
      // A modelhub API token sent directly (curl, scripts) works without the token dance.
      const who = this.identify(bearer);
      if (who && (repo === null || this.allowed(who, repo, action))) return who;
    }
    if (!header && repo !== null && action === "pull" && this.allowed(null, repo, "pull")) return null;
    throw challenge(repo === null ? "authentication required" : `authentication required to ${action} ${repo}`);
  }

  private prune(): void {
    const now = Date.now();
    for (const [k, g] of this.grants) if (g.expires <= now) this.grants.delete(k);
  }
}

/** The password of `Authorization: Basic` (docker login), or the token of `Bearer`/`Token`. */
function credentialSecret(header: string): string | null {
  const basic = /^Basic\s+(\S+)$/i.exec(header);
  if (basic) {
    const decoded = Buffer.from(basic[1], "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    return colon < 0 ? null : decoded.slice(colon + 1);
  }
  return /^(?:Bearer|Token)\s+(\S+)$/i.exec(header)?.[1] ?? null;
}
