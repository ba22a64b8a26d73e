// Prisma queries counted by model and operation, for the benches' --count-queries.
import type { Database } from "../core/database.ts";

/**
 * --count-queries: the gateway gets a Prisma client that counts its queries by model and operation
 * (an extension adds a little overhead, so figures of such a run are not the headline ones).
 */
export function countingQueries(db: Database): { db: Database; take(): Record<string, number> } {
  let counts: Record<string, number> = {};
  const extended = db.$extends({
    query: {
      $allModels: {
        $allOperations({ model, operation, args, query }) {
          const key = `${model}.${operation}`;
          counts[key] = (counts[key] ?? 0) + 1;
          return query(args);
        },
      },
      async $queryRawUnsafe({ args, query }) {
        counts.$queryRawUnsafe = (counts.$queryRawUnsafe ?? 0) + 1;
        return query(args);
      },
      async $executeRawUnsafe({ args, query }) {
        counts.$executeRawUnsafe = (counts.$executeRawUnsafe ?? 0) + 1;
        return query(args);
      },
    },
  });
  return {
    db: extended as unknown as Database,
    take() {
      const taken = counts;
      counts = {};
      return taken;
    },
  };
}
