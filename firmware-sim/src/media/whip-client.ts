// The WHIP client lives in the device client now (device-client/src/whip-client.ts). This re-export keeps the
// bridge's media half (camera-bridge/src/media/, written alongside the move) building until it imports from there.
export { WhipError, whipDelete, whipPost, type WhipSession } from "../../../device-client/src/whip-client.ts";
