// Compares two V8 heap snapshots (e.g. broker-bench.ts --heap-snapshots: before and after the connects) by
// what the objects are: constructor name for objects, function name for closures, V8's own name for its
// internal arrays and hidden objects, the type alone for strings, code and numbers.
//
//   node --max-old-space-size=4096 --import tsx bench/heap-diff.ts before.heapsnapshot after.heapsnapshot [--per N] [--top K]
//
// --per N adds bytes per connection (N connections opened between the two snapshots). --retainers "object
// Buffer" lists what holds the nodes of one group that are new in the second snapshot. The flat arrays are
// read number by number, so snapshots of a few hundred MB parse in seconds without JSON.parse of the file.
import { readFileSync } from "node:fs";

interface Group {
  type: string;
  name: string;
  count: number;
  selfBytes: number;
}

/** Types whose node name is content (a string's characters, a code object's source name), not a kind. */
const groupedByTypeOnly = new Set([
  "string",
  "concatenated string",
  "sliced string",
  "code",
  "number",
  "bigint",
  "symbol",
]);

function sectionStart(file: Buffer, marker: string): number {
  const at = file.indexOf(marker);
  if (at < 0) throw new Error(`not a V8 heap snapshot: no ${marker}`);
  return at + marker.length;
}

/** The numbers of a flat JSON array starting at `from`, up to its closing bracket. */
function parseIntegers(file: Buffer, from: number, expected: number): Float64Array {
  const out = new Float64Array(expected);
  let n = 0;
  let value = 0;
  let inNumber = false;
  for (let i = from; i < file.length; i++) {
    const c = file[i]!;
    if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      inNumber = true;
      continue;
    }
    if (inNumber) {
      out[n++] = value;
      value = 0;
      inNumber = false;
    }
    if (c === 93) break; // ]
  }
  if (n !== expected) throw new Error(`expected ${expected} numbers, read ${n}`);
  return out;
}

interface Snapshot {
  nodeFields: string[];
  nodeTypes: string[];
  edgeFields: string[];
  edgeTypes: string[];
  nodes: Float64Array;
  /** Read only when asked for (--retainers). */
  edges: Float64Array | null;
  strings: string[];
}

function parseSnapshot(path: string, withEdges = false): Snapshot {
  const file = readFileSync(path);
  const nodesAt = sectionStart(file, '"nodes":[');
  const header = JSON.parse(`${file.subarray(0, file.lastIndexOf(",", nodesAt)).toString("utf8")}}`) as {
    snapshot: {
      meta: Record<"node_fields" | "edge_fields", string[]> & Record<"node_types" | "edge_types", [string[]]>;
      node_count: number;
      edge_count: number;
    };
  };
  const { meta, node_count: nodeCount, edge_count: edgeCount } = header.snapshot;
  const nodes = parseIntegers(file, nodesAt, nodeCount * meta.node_fields.length);
  const edges = withEdges
    ? parseIntegers(file, sectionStart(file, '"edges":['), edgeCount * meta.edge_fields.length)
    : null;
  const stringsAt = sectionStart(file, '"strings":[');
  const strings = JSON.parse(`[${file.subarray(stringsAt, file.lastIndexOf("]")).toString("utf8")}]`) as string[];
  return {
    nodeFields: meta.node_fields,
    nodeTypes: meta.node_types[0],
    edgeFields: meta.edge_fields,
    edgeTypes: meta.edge_types[0],
    nodes,
    edges,
    strings,
  };
}

/** Reads node i (an offset into the flat array) as its group's type and name. */
function nodeReader(snapshot: Snapshot) {
  const [type, name, size, id, edgeCount] = ["type", "name", "self_size", "id", "edge_count"].map((f) =>
    snapshot.nodeFields.indexOf(f),
  );
  const { nodes, nodeTypes, strings } = snapshot;
  return {
    type: (i: number) => nodeTypes[nodes[i + type!]!]!,
    name: (i: number) => {
      const t = nodeTypes[nodes[i + type!]!]!;
      return groupedByTypeOnly.has(t) ? "" : strings[nodes[i + name!]!] || "(anonymous)";
    },
    size: (i: number) => nodes[i + size!]!,
    id: (i: number) => nodes[i + id!]!,
    edgeCount: (i: number) => nodes[i + edgeCount!]!,
  };
}

function readSnapshot(path: string): Map<string, Group> {
  const snapshot = parseSnapshot(path);
  const node = nodeReader(snapshot);
  const groups = new Map<string, Group>();
  for (let i = 0; i < snapshot.nodes.length; i += snapshot.nodeFields.length) {
    const type = node.type(i);
    const name = node.name(i);
    const key = `${type}\u0000${name}`;
    const group = groups.get(key) ?? { type, name, count: 0, selfBytes: 0 };
    group.count++;
    group.selfBytes += node.size(i);
    groups.set(key, group);
  }
  return groups;
}

/**
 * --retainers "type name": for the nodes of that group that are new in the second snapshot, what holds them
 * (retainer's type and name, and the edge's name), counted over every non-weak edge that points at one.
 */
function retainersOf(beforePath: string, afterPath: string, wanted: string): Array<[string, number]> {
  const before = parseSnapshot(beforePath);
  const oldIds = new Set<number>();
  const readBefore = nodeReader(before);
  for (let i = 0; i < before.nodes.length; i += before.nodeFields.length) oldIds.add(readBefore.id(i));
  const after = parseSnapshot(afterPath, true);
  const node = nodeReader(after);
  const [edgeType, edgeName, edgeTo] = ["type", "name_or_index", "to_node"].map((f) => after.edgeFields.indexOf(f));
  const counts = new Map<string, number>();
  const edges = after.edges!;
  let edge = 0;
  for (let i = 0; i < after.nodes.length; i += after.nodeFields.length) {
    const end = edge + node.edgeCount(i) * after.edgeFields.length;
    for (; edge < end; edge += after.edgeFields.length) {
      const kind = after.edgeTypes[edges[edge + edgeType!]!]!;
      const to = edges[edge + edgeTo!]!;
      if (kind === "weak" || oldIds.has(node.id(to)) || `${node.type(to)} ${node.name(to)}` !== wanted) continue;
      const label = kind === "element" || kind === "hidden" ? `[${kind}]` : after.strings[edges[edge + edgeName!]!];
      const key = `${node.type(i)} ${node.name(i)} .${label}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return [...counts].sort((a, b) => b[1] - a[1]);
}

function diffSnapshots(beforePath: string, afterPath: string): Group[] {
  const before = readSnapshot(beforePath);
  const after = readSnapshot(afterPath);
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys].map((key) => {
    const a = after.get(key);
    const b = before.get(key);
    return {
      type: (a ?? b)!.type,
      name: (a ?? b)!.name,
      count: (a?.count ?? 0) - (b?.count ?? 0),
      selfBytes: (a?.selfBytes ?? 0) - (b?.selfBytes ?? 0),
    };
  });
}

function formatTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) => r.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  "))
    .join("\n");
}

function report(groups: Group[], per: number | null, top: number): string {
  const sorted = groups.filter((g) => g.selfBytes !== 0 || g.count !== 0).sort((x, y) => y.selfBytes - x.selfBytes);
  const total = groups.reduce((s, g) => ({ count: s.count + g.count, bytes: s.bytes + g.selfBytes }), {
    count: 0,
    bytes: 0,
  });
  const perCell = (value: number) => (per ? (value / per).toFixed(value / per < 10 ? 2 : 0) : "");
  const header = ["type", "name", "count Δ", "self KiB Δ", ...(per ? ["count/conn", "bytes/conn"] : [])];
  const row = (g: { type: string; name: string; count: number; selfBytes: number }) => [
    g.type,
    g.name.replace(/\s+/g, " ").slice(0, 60),
    String(g.count),
    (g.selfBytes / 1024).toFixed(1),
    ...(per ? [perCell(g.count), perCell(g.selfBytes)] : []),
  ];
  return formatTable([
    header,
    ...sorted.slice(0, top).map(row),
    row({ type: "all", name: "", count: total.count, selfBytes: total.bytes }),
  ]);
}

function main(argv: string[]): void {
  const paths: string[] = [];
  let per: number | null = null;
  let top = 25;
  let retainers: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--per") per = Number(argv[++i]);
    else if (argv[i] === "--retainers") retainers = argv[++i] ?? null;
    else if (argv[i] === "--top") top = Number(argv[++i]);
    else paths.push(argv[i]!);
  }
  if (paths.length !== 2 || (per !== null && !(per > 0)) || !(top > 0))
    throw new Error(
      'usage: heap-diff.ts before.heapsnapshot after.heapsnapshot [--per connections] [--top K] [--retainers "type name"]',
    );
  if (retainers) {
    const rows = retainersOf(paths[0]!, paths[1]!, retainers).slice(0, top);
    console.log(formatTable([["retainer .edge", "", "edges"], ...rows.map(([k, n]) => [k, "", String(n)])]));
    return;
  }
  console.log(report(diffSnapshots(paths[0]!, paths[1]!), per, top));
}

main(process.argv.slice(2));
