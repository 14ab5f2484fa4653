// The one place that reads Docker daemon error text and turns it into typed runtime errors.
import {
  ContainerNotFoundError,
  DockerUnavailableError,
  EngineRefusedError,
  GpuUnavailableError,
  ImageNotFoundError,
  RuntimeError,
} from "./runtime.ts";

interface DaemonError {
  code?: string;
  statusCode?: number;
  message?: string;
  json?: { message?: string } | null;
  reason?: string;
}

const SOCKET_CODES = new Set(["ENOENT", "ECONNREFUSED", "EACCES", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "FailedToOpenSocket", "ConnectionRefused"]);

export function engineDownMessage(dockerHost: string, why: string): string {
  return (
    `Cannot reach the Docker engine at ${dockerHost} (${why}). ` +
    `Start it (e.g. \`systemctl start docker\`, or \`dockerd &\` as root), ` +
    `or point modelhub at another engine with --docker-host / MODELHUB_DOCKER_HOST.`
  );
}

export function mapDockerError(err: unknown, dockerHost: string, subject = ""): RuntimeError {
  if (err instanceof RuntimeError) return err;
  const e = (err ?? {}) as DaemonError;
  const text = e.json?.message ?? e.reason ?? e.message ?? String(err);
  if (e.code && SOCKET_CODES.has(e.code)) {
    const why = e.code === "EACCES" ? "permission denied on the socket; run as root or join the docker group" : e.code;
    return new DockerUnavailableError(engineDownMessage(dockerHost, why), err);
  }
  if (/connect|socket hang up|Unable to connect/i.test(text) && !e.statusCode)
    return new DockerUnavailableError(engineDownMessage(dockerHost, text), err);
  if (e.statusCode === 404 && /no such image|not found.*image|pull access denied/i.test(text))
    return new ImageNotFoundError(`Image ${subject || ""} not found in the local Docker engine. Build it (cog build -t NAME) or load it (docker load) first.`.replace("  ", " "), err);
  if (e.statusCode === 404 && /no such container/i.test(text))
    return new ContainerNotFoundError(`Container ${subject} no longer exists`, err);
  if (/could not select device driver|nvidia-container|unknown or invalid runtime name: nvidia/i.test(text))
    return new GpuUnavailableError(
      `Docker could not give the container a GPU (${text.trim()}). Install the NVIDIA Container Toolkit, or run this model without a GPU.`,
      err,
    );
  if (e.statusCode === 400) return new EngineRefusedError(`Docker refused${subject ? ` ${subject}` : ""}: ${text.trim()}`, err);
  if (e.statusCode === 409) return new RuntimeError(`Docker refused: ${text.trim()}`, err);
  return new RuntimeError(`Docker error${e.statusCode ? ` ${e.statusCode}` : ""}: ${text.trim()}`, err);
}
