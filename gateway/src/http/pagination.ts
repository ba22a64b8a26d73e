// Opaque page cursors. Offsets are enough at a county's fleet size and keep every sort order pageable.
import { DomainError } from "../../../protocol/errors.ts";

export function decodeCursor(cursor: string | undefined): number {
  if (!cursor) return 0;
  const offset = Number(Buffer.from(cursor, "base64url").toString("utf8").replace(/^o:/, ""));
  if (!Number.isInteger(offset) || offset < 0) throw new DomainError("bad-cursor");
  return offset;
}

export function nextCursor(offset: number, returned: number, total: number): string | null {
  const next = offset + returned;
  return next < total ? Buffer.from(`o:${next}`).toString("base64url") : null;
}

/**
 * The total of a paged list: a short page that is not past the end is the last one, so the total is known without
 * counting (a family's few cameras, the last page of a village); otherwise `count` runs.
 */
export async function pageTotal(
  offset: number,
  limit: number,
  returned: number,
  count: () => Promise<number>,
): Promise<number> {
  if (returned < limit && (returned > 0 || offset === 0)) return offset + returned;
  return count();
}
