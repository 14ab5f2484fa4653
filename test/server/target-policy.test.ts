// Webhook and URL-input targets: modelhub's own listeners, link-local and cloud-metadata addresses
// are refused by default; other loopback ports and LAN hosts are fine; --webhook-allow overrides.
import { describe, expect, it } from "bun:test";
import { TargetPolicy } from "../../server/webhooks/target-policy.ts";

const dns: Record<string, string[]> = { localhost: ["127.0.0.1", "::1"], "hooks.lan": ["192.168.1.10"], "sneaky.example": ["169.254.169.254"], "self.example": ["127.0.0.1"] };
const policy = (allow = "") => {
  const p = new TargetPolicy(allow, async (h) => {
    if (!dns[h]) throw new Error("ENOTFOUND");
    return dns[h];
  });
  p.addOwnListener("127.0.0.1", 5100);
  p.addOwnListener("172.17.0.1", 41000);
  p.addOwnOrigin("https://models.lab.example");
  return p;
};

describe("target policy", () => {
  const table: [string, string | null][] = [
    ["http://127.0.0.1:5100/v1/predictions", "points at modelhub itself"],
    ["http://localhost:5100/v1/predictions", "points at modelhub itself"],
    ["http://[::1]:5100/x", "points at modelhub itself"],
    ["http://127.0.0.2:5100/x", "points at modelhub itself"],
    ["http://self.example:5100/x", "points at modelhub itself"],
    ["http://172.17.0.1:41000/internal/webhooks/x", "points at modelhub itself"],
    ["https://models.lab.example/v1/predictions", "points at modelhub itself"],
    ["http://169.254.169.254/latest/meta-data/", "points at a cloud metadata service"],
    ["http://metadata.google.internal/computeMetadata/v1/", "points at a cloud metadata service"],
    ["http://sneaky.example/", "points at a cloud metadata service"],
    ["http://[fd00:ec2::254]/", "points at a cloud metadata service"],
    ["http://169.254.1.1:8080/", "points at a link-local address"],
    ["http://[fe80::1]/", "points at a link-local address"],
    ["http://0.0.0.0:8080/", "points at the unspecified address"],
    ["http://nowhere.invalid/", null], // checked again at delivery
    ["ftp://hooks.lan/", "must be an http(s) URL"],
    ["http://127.0.0.1:9999/hook", null],
    ["http://hooks.lan:8080/hook", null],
    ["https://hooks.lan/hook", null],
  ];
  for (const [url, why] of table) it(`${url} → ${why ?? "allowed"}`, async () => expect(await policy().refusal(url)).toBe(why));

  it("--webhook-allow lets named hosts, IPs and CIDRs through", async () => {
    const p = policy("169.254.10.0/24, metadata.google.internal, 169.254.169.254");
    expect(await p.refusal("http://169.254.10.7/")).toBeNull();
    expect(await p.refusal("http://169.254.169.254/")).toBeNull();
    expect(await p.refusal("http://metadata.google.internal/")).toBeNull();
    expect(await p.refusal("http://169.254.11.7/")).toBe("points at a link-local address");
  });
});
