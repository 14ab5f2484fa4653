// HTTP client for a running modelhub server: the only way CLI commands reach it. Every failure
// becomes one ApiError whose message says what happened and what to do next.

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** What to try next after an HTTP error, by status (and what was asked for). */
function hint(status: number, path = ""): string {
  if (status === 404 && /\/v1\/models\/[^/]+\/[^/]+$/.test(path)) return " (modelhub models lists the catalog)";
  if (status === 404 && /\/v1\/predictions\/[^/]+/.test(path)) return " (modelhub predictions lists recent ones)";
  if (status === 401) return " Pass a token with --token or MODELHUB_TOKEN (an admin creates one with `modelhub tokens create --name NAME`).";
  if (status === 403) return " This needs an admin token (--token or MODELHUB_TOKEN).";
  return "";
}

export class Client {
  constructor(readonly baseUrl: string, private token?: string) {}

  private url(path: string): string {
    return /^[a-z][a-z0-9+.-]*:/i.test(path) ? path : `${this.baseUrl}${path}`;
  }

  /** Sends the token only to the server it belongs to (capability URLs elsewhere need none). */
  private auth(url: string): Record<string, string> {
    if (!this.token) return {};
    return new URL(url).origin === new URL(this.baseUrl).origin ? { authorization: `Bearer ${this.token}` } : {};
  }

  /** The raw response (for streams and downloads); an error status becomes an ApiError. */
  async raw(method: string, path: string, init: { body?: BodyInit | null; headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<Response> {
    const url = this.url(path);
    let res: Response;
    try {
      res = await fetch(url, { method, headers: { ...this.auth(url), ...init.headers }, body: init.body, signal: init.signal, duplex: "half" } as RequestInit);
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      throw new ApiError(
        0,
        `No modelhub server answers at ${this.baseUrl} (${(err as Error).message}).\n` +
          `Start one with \`modelhub serve\` (in another terminal), or point --url / MODELHUB_URL at the one you use.`,
      );
    }
    if (!res.ok) {
      const text = await res.text();
      let detail = text;
      try {
        const body = JSON.parse(text);
        detail = body.detail ?? text;
        if (Array.isArray(body.invalid_fields) && body.invalid_fields.length)
          detail += "\n" + body.invalid_fields.map((f: { field: string; message: string }) => `  ${f.field}: ${f.message}`).join("\n");
      } catch {}
      throw new ApiError(res.status, (detail || `HTTP ${res.status}`) + hint(res.status, new URL(url).pathname));
    }
    return res;
  }

  async request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const res = await this.raw(method, path, {
      headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** Every row of a paginated listing, following `next`. */
  async all<T>(path: string, limit = Infinity): Promise<T[]> {
    const rows: T[] = [];
    let next: string | null = path;
    while (next && rows.length < limit) {
      const page: { results: T[]; next: string | null } = await this.request("GET", next);
      rows.push(...page.results);
      next = page.next;
    }
    return rows;
  }
}
