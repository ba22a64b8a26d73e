// aedes-persistence-redis ships no types. Its main export is a factory of aedes-persistence 11 instances.
declare module "aedes-persistence-redis" {
  function redisPersistence(options: {
    conn?: unknown;
    maxSessionDelivery?: number;
    packetTTL?: (packet: unknown) => number;
  }): unknown;
  export default redisPersistence;
}
