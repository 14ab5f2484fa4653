// Ready-to-run code for a model and inputs: curl, Node (`replicate` npm: baseUrl WITH /v1) and
// Python (`replicate`: base_url WITHOUT /v1). Inputs in schema order, only what differs from defaults.

export interface SnippetInput {
  origin: string;
  model: string;
  version: string;
  input: Record<string, unknown>;
  /** Secret inputs: read from an environment variable instead of being printed. */
  secrets?: readonly string[];
}

const TOKEN = "$REPLICATE_API_TOKEN";
const envName = (name: string) => name.toUpperCase().replace(/[^A-Z0-9]/g, "_");

export function curlSnippet(s: SnippetInput): string {
  const input: Record<string, unknown> = { ...s.input };
  for (const k of s.secrets ?? []) if (k in input) input[k] = `<${envName(k)}>`;
  // A quoted heredoc: nothing inside is expanded, so quotes and $ in prompts stay as typed.
  return [
    `curl -s -X POST "${s.origin}/v1/predictions" \\`,
    `  -H "Authorization: Bearer ${TOKEN}" \\`,
    `  -H "Content-Type: application/json" \\`,
    `  -H "Prefer: wait" \\`,
    `  --data @- <<'EOF'`,
    JSON.stringify({ version: s.version, input }),
    "EOF",
  ].join("\n");
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function jsLiteral(v: unknown, indent = ""): string {
  if (Array.isArray(v)) return `[${v.map((x) => jsLiteral(x, indent)).join(", ")}]`;
  if (v && typeof v === "object") {
    const inner = indent + "  ";
    const rows = Object.entries(v).map(([k, x]) => `${inner}${IDENT.test(k) ? k : JSON.stringify(k)}: ${jsLiteral(x, inner)}`);
    return rows.length ? `{\n${rows.join(",\n")}\n${indent}}` : "{}";
  }
  return JSON.stringify(v) ?? "null";
}

function pyLiteral(v: unknown, indent = ""): string {
  if (v === null || v === undefined) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (Array.isArray(v)) return `[${v.map((x) => pyLiteral(x, indent)).join(", ")}]`;
  if (typeof v === "object") {
    const inner = indent + "    ";
    const rows = Object.entries(v).map(([k, x]) => `${inner}${JSON.stringify(k)}: ${pyLiteral(x, inner)}`);
    return rows.length ? `{\n${rows.join(",\n")},\n${indent}}` : "{}";
  }
  return JSON.stringify(v);
}

export function nodeSnippet(s: SnippetInput): string {
  const secrets = new Set(s.secrets ?? []);
  const plain = Object.fromEntries(Object.entries(s.input).filter(([k]) => !secrets.has(k)));
  let input = jsLiteral(plain);
  const extra = [...secrets].filter((k) => k in s.input).map((k) => `  ${IDENT.test(k) ? k : JSON.stringify(k)}: process.env.${envName(k)}`);
  if (extra.length) input = input === "{}" ? `{\n${extra.join(",\n")}\n}` : input.replace(/\n}$/, `,\n${extra.join(",\n")}\n}`);
  return [
    `import Replicate from "replicate";`,
    ``,
    `const replicate = new Replicate({`,
    `  auth: process.env.REPLICATE_API_TOKEN,`,
    `  baseUrl: ${JSON.stringify(`${s.origin}/v1`)},`,
    `});`,
    ``,
    `const input = ${input};`,
    `const output = await replicate.run(${JSON.stringify(`${s.model}:${s.version}`)}, { input });`,
    `console.log(output);`,
  ].join("\n");
}

export function pythonSnippet(s: SnippetInput): string {
  const secrets = new Set(s.secrets ?? []);
  const plain = Object.fromEntries(Object.entries(s.input).filter(([k]) => !secrets.has(k)));
  let input = pyLiteral(plain);
  const extra = [...secrets].filter((k) => k in s.input).map((k) => `    ${JSON.stringify(k)}: os.environ[${JSON.stringify(envName(k))}],`);
  if (extra.length) input = input === "{}" ? `{\n${extra.join("\n")}\n}` : input.replace(/\n}$/, `\n${extra.join("\n")}\n}`);
  return [
    `import os`,
    `import replicate`,
    ``,
    `# The Python client takes the base URL without /v1`,
    `client = replicate.Client(api_token=os.environ["REPLICATE_API_TOKEN"], base_url=${JSON.stringify(s.origin)})`,
    ``,
    `output = client.run(`,
    `    ${JSON.stringify(`${s.model}:${s.version}`)},`,
    `    input=${input.replace(/\n/g, "\n    ")},`,
    `)`,
    `print(output)`,
  ].join("\n");
}
