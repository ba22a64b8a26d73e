// Who may touch which topic. A device owns devices/{its id}/ and the fixed topics under it; the gateway's
// service client may use anything under devices/, and publish (never subscribe) on the broker control
// topic, which the brokers themselves listen to. Nobody else gets in.
import {
  brokerDisconnectTopic,
  deviceStatusTopic,
  devicePublishTopics,
  deviceSubscribeTopics,
} from "../../protocol/topics.ts";

export type ClientIdentity =
  { kind: "device"; deviceId: string; /** see Authenticator.isStale */ authEpoch: number } | { kind: "service" };

const serviceTopicPrefix = "devices/";

export function mayPublish(identity: ClientIdentity, topic: string): boolean {
  if (identity.kind === "service") return topic.startsWith(serviceTopicPrefix) || topic === brokerDisconnectTopic;
  return devicePublishTopics(identity.deviceId).includes(topic);
}

/** Exact topics only for devices: a wildcard filter is refused even if it would match nothing foreign. */
export function maySubscribe(identity: ClientIdentity, topicFilter: string): boolean {
  if (identity.kind === "service") return topicFilter.startsWith(serviceTopicPrefix);
  return deviceSubscribeTopics(identity.deviceId).includes(topicFilter);
}

/** A device's last will may only say that device went offline. */
export function mayUseWill(identity: ClientIdentity, willTopic: string): boolean {
  if (identity.kind === "service") return willTopic.startsWith(serviceTopicPrefix);
  return willTopic === deviceStatusTopic(identity.deviceId);
}
