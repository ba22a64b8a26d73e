// CPU profile of the bench process (broker + gateway) during one phase, via the inspector: written as a
// .cpuprofile (open it in Chrome DevTools) and summarised as self time by function and by package.
import { Session } from "node:inspector/promises";
import { writeFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  topFunctions: { name: string; selfMs: number; share: number }[];
  byPackage: { name: string; selfMs: number; share: number }[];
}

export class PhaseProfiler {
  private session: Session | null = null;

  async start(): Promise<void> {
    const session = new Session();
    session.connect();
    await session.post("Profiler.enable");
    await session.post("Profiler.setSamplingInterval", { interval: 500 });
    await session.post("Profiler.start");
    this.session = session;
  }

  async stop(file: string): Promise<ProfileSummary | null> {
    const session = this.session;
    this.session = null;
    if (!session) return null;
    const { profile } = (await session.post("Profiler.stop")) as unknown as { profile: CpuProfile };
    session.disconnect();
    writeFileSync(file, JSON.stringify(profile));
    return summarise(profile, file);
  }
}

function packageOf(url: string, functionName: string): string {
  if (!url)
    return functionName === "(garbage collector)" ? "(gc)" : functionName.startsWith("(") ? functionName : "(native)";
  const nodeModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nodeModules) return nodeModules[1]!;
  if (url.startsWith("node:")) return "node:" + url.slice(5).split("/")[0];
  const ours = /\/(broker|gateway|core|protocol|generated|bench)\//.exec(url);
  if (ours) return ours[1]! + "/";
  return url;
}

function summarise(profile: CpuProfile, file: string): ProfileSummary {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + (deltas[i] ?? 0));
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const node = nodes.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${url.replace(/^file:\/\/.*?\/(node_modules|work\/main)\//, "")}:${lineNumber + 1}` : "";
    const name = `${functionName || "(anonymous)"} ${where}`.trim();
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    const pkg = packageOf(url, functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
    total += us;
  }
  const top = (map: Map<string, number>, n: number) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({
        name,
        selfMs: Math.round(us / 1000),
        share: Math.round((1000 * us) / Math.max(1, total)) / 10,
      }));
  return { file, totalMs: Math.round(total / 1000), topFunctions: top(byFunction, 25), byPackage: top(byPackage, 15) };
}
