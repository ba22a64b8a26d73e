export { createRelayPool, RelayPool, RelayError, type RelayPoolOptions, type RouterHandle, type RelayEvent, type RelayEventListener, type RelayNetworkOptions } from "./relay-pool.ts";
export { signalingPlugin, type SignalingPluginOptions, type ViewerIdentity, type IceServer } from "./signaling-plugin.ts";
