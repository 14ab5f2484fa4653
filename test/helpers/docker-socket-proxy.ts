// A unix-socket forwarder to the real Docker socket that a test can switch off and on, to see how
// modelhub behaves when its engine goes away and comes back, without stopping the real engine.
import { rmSync } from "node:fs";
import type { Socket, UnixSocketListener } from "bun";

export interface SocketProxy {
  path: string;
  up(): void;
  down(): void;
}

export function dockerSocketProxy(path: string, target = "/var/run/docker.sock"): SocketProxy {
  let listener: UnixSocketListener<{ upstream?: Socket; pending: Uint8Array[] }> | null = null;
  const open = new Set<Socket<any>>();
  const up = () => {
    if (listener) return;
    rmSync(path, { force: true });
    listener = Bun.listen<{ upstream?: Socket; pending: Uint8Array[] }>({
      unix: path,
      socket: {
        open(client) {
          open.add(client);
          client.data = { pending: [] };
          Bun.connect({
            unix: target,
            socket: {
              open(up) {
                client.data.upstream = up;
                for (const c of client.data.pending) up.write(c);
                client.data.pending = [];
              },
              data(_up, chunk) {
                client.write(chunk);
              },
              close() {
                client.end();
              },
              error() {
                client.end();
              },
            },
          }).catch(() => client.end());
        },
        data(client, chunk) {
          if (client.data.upstream) client.data.upstream.write(chunk);
          else client.data.pending.push(new Uint8Array(chunk));
        },
        close(client) {
          open.delete(client);
          client.data.upstream?.end();
        },
      },
    });
  };
  const down = () => {
    listener?.stop(true);
    listener = null;
    for (const c of open) c.end();
    open.clear();
    rmSync(path, { force: true });
  };
  return { path, up, down };
}
