export {
  createRelayPool,
  RelayPool,
  RelayError,
  type RelayPoolOptions,
  type RouterHandle,
  type RelayEvent,
  type RelayEventListener,
  type RelayNetworkOptions,
  type WorkerMetrics,
} from "./relay-pool.ts";
export {
  signalingPlugin,
  type SignalingPluginOptions,
  type ViewerIdentity,
  type ViewerRefusal,
} from "./signaling-plugin.ts";
export {
  iceServerSource,
  turnRestCredentials,
  type IceServer,
  type IceServerSource,
  type TurnRestConfig,
} from "./ice-servers.ts";
export { relayMetricsCollector } from "./metrics.ts";
