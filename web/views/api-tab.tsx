// The API tab: curl, Node and Python for this server, this model and version, and the inputs now in
// the form (only what differs from the defaults), each with a copy button.
import { useState } from "preact/hooks";
import type { ModelJson } from "../lib/api.ts";
import type { FormStore } from "../lib/form-store.ts";
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
        <li>
          Set <code>REPLICATE_API_TOKEN</code> to your modelhub token (any value while the server does not require tokens):
          <pre class="code">export REPLICATE_API_TOKEN=&lt;your modelhub token&gt;</pre>
        </li>
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
