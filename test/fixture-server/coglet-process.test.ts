// The coglet-mode (and pydantic-2 switch) protocol suite against the fixture server run as plain
// processes on loopback — no Docker needed, so it runs everywhere.
import { processHost } from "../helpers/cog-fixture-host.ts";
import { cogletFixtureSuite } from "../helpers/coglet-fixture-suite.ts";

cogletFixtureSuite(processHost);
