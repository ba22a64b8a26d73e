// How long a gateway may answer from its memory that a sign-in session is live, without asking the database.
// Sessions ended through a gateway are dropped from every gateway's memory at once (gateway/src/access/
// sessions.ts); a writer outside the gateways (the admin CLI's password reset) ends sessions in the database
// and then waits this long, after which no gateway remembers them, before it says they are signed out.
export const SESSION_MEMORY_MS = 2_000;
