// The live sockets open for each sign-in session, so that a session ending — logout, expiry, revocation,
// the account being disabled, a password change — closes them at once, with a reason the app shows.
import { LIVE_CLOSE_SIGNED_OUT, type LiveCloseReason } from "../../../protocol/accounts.ts";

export interface LiveSessionSocket {
  sessionId: string;
  userId: string;
  close(code: number, reason: LiveCloseReason): void;
  /** The user's households changed (joined, removed, a camera moved): re-read what they may see. */
  refresh(): void;
}

export class LiveSessions {
  private readonly sockets = new Set<LiveSessionSocket>();

  add(socket: LiveSessionSocket): () => void {
    this.sockets.add(socket);
    return () => this.sockets.delete(socket);
  }

  closeSession(sessionId: string, reason: LiveCloseReason): void {
    for (const socket of [...this.sockets]) if (socket.sessionId === sessionId) this.end(socket, reason);
  }

  closeUser(userId: string, reason: LiveCloseReason, exceptSessionId?: string): void {
    for (const socket of [...this.sockets])
      if (socket.userId === userId && socket.sessionId !== exceptSessionId) this.end(socket, reason);
  }

  refreshUser(userId?: string): void {
    for (const socket of this.sockets) if (userId === undefined || socket.userId === userId) socket.refresh();
  }

  private end(socket: LiveSessionSocket, reason: LiveCloseReason): void {
    this.sockets.delete(socket);
    socket.close(LIVE_CLOSE_SIGNED_OUT, reason);
  }
}
