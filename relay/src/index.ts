export {
  createRelayPool,
  RelayPool,
  RelayError,
  type RelayPoolOptions,
  type RouterHandle,
  type RelayPoolEvents,
  type SessionConnected,
  type SessionClosed,
  type TalkbackChanged,
  type ViewerDownlink,
  type RelayNetworkOptions,
  type WorkerMetrics,
} from "./relay-pool.ts";
export type { CameraIngestReading, TrackCounters } from "./camera-router.ts";
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
