// The coglet-mode (and pydantic-2 switch) protocol suite against the real fixture images on the
// Docker engine: modelhub-test/coglet-* (Cog 0.22 builds) and modelhub-test/pydantic2-image.
// Runs only with MODELHUB_TEST_DOCKER=1; ports on 127.0.0.1, callbacks through host.docker.internal.
import { describe } from "bun:test";
import { ensureFixtureImages } from "../fixtures/build-images.ts";
import { dockerHost } from "../helpers/cog-fixture-host.ts";
import { cogletFixtureSuite } from "../helpers/coglet-fixture-suite.ts";

describe.skipIf(!process.env.MODELHUB_TEST_DOCKER)("coglet fixture images", () => {
  cogletFixtureSuite(() => dockerHost("modelhub.test=coglet-fixture-images"), {
    prepare: async () => {
      await ensureFixtureImages();
    },
  });
});
