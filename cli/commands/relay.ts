// `modelhub relay`: what the relay image runs on a node (not for people: modelhub starts it there
// with its settings in the environment; see docs/scaling.md).
export { runRelayFromEnv as relay } from "../../server/nodes/relay/main.ts";
