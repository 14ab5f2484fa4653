// Entry point of the relay container (`modelhub relay`, or this file compiled on its own): reads its
// settings from the environment modelhub gives the container and serves until stopped.
import { startRelay } from "./relay-server.ts";

export const RELAY_ENV = {
  cert: "MODELHUB_RELAY_CERT",
  key: "MODELHUB_RELAY_KEY",
  clientCert: "MODELHUB_RELAY_CLIENT_CERT",
  listen: "MODELHUB_RELAY_LISTEN",
  targetCidr: "MODELHUB_RELAY_TARGET_CIDR",
  targetPort: "MODELHUB_RELAY_TARGET_PORT",
  /** gateway:port the containers' callbacks arrive at (host.docker.internal on the models network) */
  callbackListen: "MODELHUB_RELAY_CALLBACK_LISTEN",
  /** modelhub's callback listener as the node reaches it */
  callbackUrl: "MODELHUB_RELAY_CALLBACK_URL",
} as const;

function callback(env: Record<string, string | undefined>) {
  const listen = env[RELAY_ENV.callbackListen];
  const url = env[RELAY_ENV.callbackUrl];
  if (!listen || !url) return undefined;
  const colon = listen.lastIndexOf(":");
  return { host: listen.slice(0, colon), port: Number(listen.slice(colon + 1)), url };
}

export async function runRelayFromEnv(env: Record<string, string | undefined> = process.env): Promise<number> {
  const need = (k: string) => {
    const v = env[k];
    if (!v) throw new Error(`${k} is not set`);
    return v;
  };
  try {
    const listen = env[RELAY_ENV.listen] ?? "0.0.0.0:7443";
    const colon = listen.lastIndexOf(":");
    const relay = await startRelay({
      cert: need(RELAY_ENV.cert),
      key: need(RELAY_ENV.key),
      clientCert: need(RELAY_ENV.clientCert),
      host: listen.slice(0, colon),
      port: Number(listen.slice(colon + 1)),
      targetCidr: need(RELAY_ENV.targetCidr),
      targetPort: Number(env[RELAY_ENV.targetPort] ?? "5000"),
      callback: callback(env),
    });
    console.log(`modelhub relay listening on ${listen.slice(0, colon)}:${relay.port}, forwarding to ${env[RELAY_ENV.targetCidr]}`);
    await new Promise<void>((resolve) => {
      for (const sig of ["SIGTERM", "SIGINT"] as const) process.once(sig, () => void relay.close().then(resolve));
    });
    return 0;
  } catch (err) {
    console.error(`modelhub relay: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

if (import.meta.main) process.exit(await runRelayFromEnv());
