// HTTP client for a running modelhub server: the only way CLI commands reach it.

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export class Client {
  constructor(readonly baseUrl: string, private token?: string) {}

  async request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          "content-type": "application/json",
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new ApiError(0, `Cannot reach modelhub at ${this.baseUrl} (${(err as Error).message}). Is \`modelhub serve\` running? Set --url or MODELHUB_URL if it runs elsewhere.`);
    }
    const text = await res.text();
    if (!res.ok) {
      let detail = text;
      try {
        detail = JSON.parse(text).detail ?? text;
      } catch {}
      throw new ApiError(res.status, detail || `HTTP ${res.status}`);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }
}
