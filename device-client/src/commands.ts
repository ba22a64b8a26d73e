// Reading a command off devices/{id}/cmd. The envelope carries MQTT 5's responseTopic and correlationId
// (aedes speaks 3.1.1), so even a command we cannot understand gets an answer when those two are readable:
// the gateway is waiting on that correlationId and would otherwise only learn of the failure by timeout.
import { z } from "zod";
import {
  commandRequestMessage,
  commandResponseMessage,
  parseJsonPayload,
  type CommandRequestMessage,
} from "../../protocol/device-messages.ts";

export interface ReplyAddress {
  correlationId: string;
  responseTopic: string;
}

export type ParsedCommand =
  | { kind: "command"; command: CommandRequestMessage }
  | { kind: "expired"; command: CommandRequestMessage }
  | { kind: "invalid"; reason: string; replyTo: ReplyAddress | null };

const replyAddress = z.object({
  correlationId: commandResponseMessage.shape.correlationId,
  // A wildcard is not a topic one can publish to.
  responseTopic: z
    .string()
    .min(1)
    .max(200)
    .refine((t) => !/[+#]/.test(t), "response topic must not contain wildcards"),
});

export function parseCommand(payload: Buffer | string, now: Date = new Date()): ParsedCommand {
  const parsed = parseJsonPayload(commandRequestMessage, payload);
  if (parsed.ok) {
    const command = parsed.value;
    if (/[+#]/.test(command.responseTopic))
      return { kind: "invalid", reason: "response topic must not contain wildcards", replyTo: null };
    if (Date.parse(command.expiresAt) <= now.getTime()) return { kind: "expired", command };
    return { kind: "command", command };
  }
  const address = parseJsonPayload(replyAddress, payload);
  return { kind: "invalid", reason: parsed.reason, replyTo: address.ok ? address.value : null };
}
