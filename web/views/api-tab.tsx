// The API tab: curl, Node and Python for this server, this model and version, and the inputs now in
// the form (only what differs from the defaults), each with a copy button.
import { useState } from "preact/hooks";
import { token, type ModelJson } from "../lib/api.ts";
import type { FormStore } from "../lib/form-store.ts";
import { account } from "../lib/session.ts";
import { curlSnippet, nodeSnippet, pythonSnippet, type SnippetInput } from "../lib/snippets.ts";
import { useStore } from "../lib/store.ts";
import { CopyButton, Tabs } from "./common.tsx";

/** The server's public base URL, from an absolute URL it emitted (it follows --public-url), else this page's. */
export function serverOrigin(emitted?: string): string {
  try {
    return emitted ? new URL(emitted).origin : location.origin;
  } catch {
    return location.origin;
  }
}

/** Step 1: the token to export. The viewer's own, masked until Show, when they signed in with one. */
function TokenStep() {
  const mine = useStore(token);
  const auth = useStore(account)?.auth;
  const [shown, setShown] = useState(false);
  const value = auth === "off" ? "anything" : mine ? (shown ? mine : `${mine.slice(0, 6)}${"•".repeat(12)}`) : "<your modelhub token>";
  return (
    <li>
      Set <code>REPLICATE_API_TOKEN</code> to {auth === "off" ? "any value (this server does not require tokens)" : mine ? "your modelhub token (the one you signed in with)" : "your modelhub token"}:
      <div class="code-block token-block">
        <pre class="code" data-snippet="token">
          export REPLICATE_API_TOKEN={value}
        </pre>
        {auth !== "off" && mine && (
          <span class="copy-snippet row-inline">
            <button type="button" class="btn" aria-pressed={shown} onClick={() => setShown(!shown)}>
              {shown ? "Hide" : "Show"}
            </button>
            <CopyButton text={`export REPLICATE_API_TOKEN=${mine}`} label="Copy" />
          </span>
        )}
      </div>
    </li>
  );
}

export function Snippets({ input }: { input: SnippetInput }) {
  const [lang, setLang] = useState<"curl" | "node" | "python">("curl");
  const code = lang === "curl" ? curlSnippet(input) : lang === "node" ? nodeSnippet(input) : pythonSnippet(input);
  const setup =
    lang === "curl" ? null : lang === "node" ? "npm install replicate" : "pip install replicate";
  return (
    <div class="snippets">
      <Tabs
        label="Language"
        tabs={[
          { id: "curl", label: "HTTP (curl)" },
          { id: "node", label: "Node.js" },
          { id: "python", label: "Python" },
        ]}
        current={lang}
        onSelect={setLang}
      />
      <ol class="steps">
        <TokenStep />
        {setup && (
          <li>
            Install the client: <pre class="code">{setup}</pre>
          </li>
        )}
        <li>
          Run <span class="mono">{input.model}</span> with the inputs now in the form:
          <div class="code-block">
            <pre class="code" data-snippet={lang}>
              {code}
            </pre>
            <CopyButton text={code} label={`Copy ${lang === "curl" ? "curl" : lang === "node" ? "Node.js" : "Python"}`} class="btn copy-snippet" />
          </div>
        </li>
      </ol>
    </div>
  );
}

export function ApiTab({ model, form }: { model: ModelJson; form: FormStore }) {
  useStore(form.state);
  const secrets = form.fields.filter((f) => f.widget === "secret").map((f) => f.name);
  return (
    <div class="api-tab">
      <p class="muted">
        modelhub speaks Replicate's HTTP API, so the official clients work once pointed at this server: the Node client with <code>/v1</code> in its base URL, the Python client without.
      </p>
      <Snippets input={{ origin: serverOrigin(model.url), model: `${model.owner}/${model.name}`, version: model.latest_version!.id, input: form.currentInput(), secrets }} />
    </div>
  );
}
