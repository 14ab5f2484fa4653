import { describe, expect, it } from "bun:test";
import { ImageRefError, parseImageRef } from "../../server/runtime/image-ref.ts";

describe("image references (the Docker grammar)", () => {
  it("splits registry, path, tag and digest, defaulting the tag to latest", () => {
    expect(parseImageRef("ubuntu")).toMatchObject({ domain: "", path: "ubuntu", tag: null, full: "ubuntu:latest" });
    expect(parseImageRef("127.0.0.1:5000/acme/hello:v1")).toMatchObject({ domain: "127.0.0.1:5000", path: "acme/hello", tag: "v1", repository: "127.0.0.1:5000/acme/hello" });
    expect(parseImageRef("localhost/x")).toMatchObject({ domain: "localhost", full: "localhost/x:latest" });
    const digest = "sha256:" + "ab".repeat(32);
    expect(parseImageRef(`r8.im/a/b@${digest}`)).toMatchObject({ tag: null, digest, full: `r8.im/a/b@${digest}` });
  });

  it("refuses what could escape into an Engine API path or query", () => {
    for (const bad of ["", "a b", "a/../b", "x/y?z=1", "a//b", "a/b:ta g", "a/b#c", "a/b@sha256:zz", "a/B", `a/${"x".repeat(300)}`, "a/%2e%2e"])
      expect(() => parseImageRef(bad)).toThrow(ImageRefError);
  });
});
