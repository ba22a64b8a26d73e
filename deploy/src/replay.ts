// Replays a Dockerfile without a Docker engine: every stage gets its own root directory (sandbox.ts), its
// instructions run in order (COPY from the build context through .dockerignore or from an earlier stage,
// WORKDIR, ENV, RUN, USER), and the final stage's CMD can then be started. The base image is this machine's
// system, which must match it (Node major version, Debian release); apt-get steps whose packages are all
// installed here are skipped, and the output says so.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, posix } from "node:path";
import { isIgnored, parseDockerignore } from "./dockerignore.ts";
import { parseDockerfile, substitute, type Instruction, type Stage } from "./dockerfile.ts";
import { createStageRoot, runInStage, type SandboxUser } from "./sandbox.ts";

export interface BuiltStage {
  stage: Stage;
  root: string;
  workdir: string;
  user: string;
  env: Record<string, string>;
  cmd?: { command: string[]; shell: boolean };
  exposed: string[];
}

export type Log = (line: string) => void;

const baseEnv = { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" };
// The users the official node images add; other bases bring only what this machine has.
const nodeImageUsers: SandboxUser[] = [{ name: "node", uid: 1000, gid: 1000, home: "/home/node" }];

export function checkBaseImage(image: string): string {
  const match = /^node:(\d+)(?:[.\d]*)-(\w+)/.exec(image);
  if (!match) throw new Error(`FROM ${image}: the replay can stand in only for node:<major>-<debian release> images`);
  const [, major, release] = match;
  const hostMajor = process.versions.node.split(".")[0];
  if (hostMajor !== major)
    throw new Error(`FROM ${image} wants Node ${major}; this machine has Node ${process.versions.node}`);
  const osRelease = existsSync("/etc/os-release") ? readFileSync("/etc/os-release", "utf8") : "";
  const codename = /VERSION_CODENAME=(\w+)/.exec(osRelease)?.[1];
  if (codename !== release)
    throw new Error(`FROM ${image} is Debian ${release}; this machine is ${codename ?? "not Debian"}`);
  return `this machine's system (Debian ${codename}, Node ${process.versions.node}), read-only`;
}

function resolveUser(spec: string, users: SandboxUser[]): { userspec: string; home: string } {
  if (spec === "root" || spec === "0") return { userspec: "0:0", home: "/root" };
  const user = users.find((u) => u.name === spec || String(u.uid) === spec);
  if (!user) throw new Error(`USER ${spec}: no such user in the base image`);
  return { userspec: `${user.uid}:${user.gid}`, home: user.home };
}

/** Copies a context file or directory to dest, leaving out what .dockerignore names. */
function copyFromContext(context: string, ignoreText: string, source: string, dest: string): number {
  const rules = parseDockerignore(ignoreText);
  const rel = posix
    .normalize(source)
    .replace(/^\.?\/*/, "")
    .replace(/\/$/, "");
  const from = join(context, rel);
  if (!existsSync(from) || (rel && isIgnored(rules, rel)))
    throw new Error(`COPY ${source}: not in the build context (missing or excluded by .dockerignore)`);
  let files = 0;
  const walk = (relPath: string, target: string): void => {
    const abs = join(context, relPath);
    if (lstatSync(abs).isDirectory()) {
      mkdirSync(target, { recursive: true });
      for (const entry of readdirSync(abs)) {
        const child = relPath ? `${relPath}/${entry}` : entry;
        if (!isIgnored(rules, child)) walk(child, join(target, entry));
      }
      return;
    }
    mkdirSync(dirname(target), { recursive: true });
    cpSync(abs, target, { verbatimSymlinks: true });
    files++;
  };
  walk(rel, dest);
  return files;
}

/** Docker's rule: a directory's contents go into dest; a file goes into dest if dest is a directory, else becomes dest. */
function destination(
  root: string,
  workdir: string,
  dest: string,
  source: { path: string; isDir: boolean },
  many: boolean,
): string {
  const target = join(root, posix.isAbsolute(dest) ? dest : posix.join(workdir, dest));
  if (source.isDir) return target;
  const intoDir = many || dest.endsWith("/") || (existsSync(target) && statSync(target).isDirectory());
  return intoDir ? join(target, posix.basename(source.path)) : target;
}

export interface ReplayOptions {
  dockerfile: string;
  context: string;
  workDir: string;
  log: Log;
}

export async function replayDockerfile(options: ReplayOptions): Promise<BuiltStage> {
  const stages = parseDockerfile(readFileSync(options.dockerfile, "utf8"));
  const ignorePath = join(options.context, ".dockerignore");
  const ignoreText = existsSync(ignorePath) ? readFileSync(ignorePath, "utf8") : "";
  const built: BuiltStage[] = [];
  for (const stage of stages) {
    const root = join(options.workDir, `stage-${stage.index}-${stage.name}`);
    options.log(`── stage ${stage.name}: FROM ${stage.image} → ${checkBaseImage(stage.image)}`);
    const users = stage.image.startsWith("node:") ? nodeImageUsers : [];
    createStageRoot(root, users);
    const state: BuiltStage = {
      stage,
      root,
      workdir: "/",
      user: "0:0",
      env: { ...baseEnv, HOME: "/root" },
      exposed: [],
    };
    for (const instruction of stage.instructions) {
      await replayInstruction(instruction, state, { ...options, users, built, ignoreText });
    }
    built.push(state);
  }
  return built.at(-1)!;
}

interface StepContext extends ReplayOptions {
  users: SandboxUser[];
  built: BuiltStage[];
  ignoreText: string;
}

async function replayInstruction(ins: Instruction, state: BuiltStage, ctx: StepContext): Promise<void> {
  const started = Date.now();
  const done = (what: string) =>
    ctx.log(`   line ${ins.line}: ${what} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  switch (ins.kind) {
    case "WORKDIR": {
      const path = substitute(ins.path, state.env);
      state.workdir = posix.isAbsolute(path) ? path : posix.join(state.workdir, path);
      mkdirSync(join(state.root, state.workdir), { recursive: true });
      return done(`WORKDIR ${state.workdir}`);
    }
    case "ENV":
      for (const [name, value] of ins.vars) state.env[name] = substitute(value, state.env);
      return done(`ENV ${ins.vars.map(([n]) => n).join(" ")}`);
    case "USER": {
      const { userspec, home } = resolveUser(substitute(ins.user, state.env), ctx.users);
      state.user = userspec;
      state.env.HOME = home;
      return done(`USER ${ins.user} (${userspec})`);
    }
    case "EXPOSE":
      state.exposed.push(...ins.ports);
      return done(`EXPOSE ${ins.ports.join(" ")}`);
    case "CMD":
      state.cmd = { command: ins.command, shell: ins.shell };
      return done(`CMD ${JSON.stringify(ins.command)}`);
    case "COPY":
      return done(copyStep(ins, state, ctx));
    case "RUN":
      return done(await runStep(ins, state, ctx.log));
  }
}

function copyStep(ins: Extract<Instruction, { kind: "COPY" }>, state: BuiltStage, ctx: StepContext): string {
  if (ins.chown) throw new Error(`line ${ins.line}: COPY --chown is not replayed yet`);
  const dest = substitute(ins.dest, state.env);
  const many = ins.sources.length > 1;
  if (ins.from) {
    const from = ctx.built.find((b) => b.stage.name === ins.from || String(b.stage.index) === ins.from);
    if (!from) throw new Error(`line ${ins.line}: COPY --from=${ins.from}: no earlier stage of that name`);
    for (const source of ins.sources) {
      const abs = posix.isAbsolute(source) ? source : posix.join(from.workdir, source);
      const isDir = statSync(join(from.root, abs)).isDirectory();
      const target = destination(state.root, state.workdir, dest, { path: abs, isDir }, many);
      mkdirSync(dirname(target), { recursive: true });
      // Docker owns copied files by root unless --chown; the replay runs as root, so cp -a keeps that.
      execFileSync("cp", ["-a", "--reflink=auto", "-T", join(from.root, abs), target]);
    }
    return `COPY --from=${ins.from} ${ins.sources.join(" ")} ${dest}`;
  }
  let files = 0;
  for (const source of ins.sources) {
    const isDir = existsSync(join(ctx.context, source)) && statSync(join(ctx.context, source)).isDirectory();
    files += copyFromContext(
      ctx.context,
      ctx.ignoreText,
      source,
      destination(state.root, state.workdir, dest, { path: source, isDir }, many),
    );
  }
  return `COPY ${ins.sources.join(" ")} ${dest} (${files} files)`;
}

/** Docker passes these predefined build arguments to RUN steps from the builder's environment. */
function proxyBuildArgs(): Record<string, string> {
  const names = ["HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY"].flatMap((n) => [
    n,
    n.toLowerCase(),
  ]);
  return Object.fromEntries(names.filter((n) => process.env[n]).map((n) => [n, process.env[n]!]));
}

/** The packages an `apt-get install` in a RUN line asks for, or null if it has none. */
export function aptPackages(command: string): string[] | null {
  const match = /apt-get\s+install\s+([^&;|]*)/.exec(command);
  if (!match) return null;
  return match[1]!.split(/\s+/).filter((w) => w && !w.startsWith("-"));
}

function missingPackages(packages: string[]): string[] {
  return packages.filter((p) => {
    try {
      return !execFileSync("dpkg-query", ["-W", "-f=${Status}", p], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      }).includes("install ok installed");
    } catch {
      return true;
    }
  });
}

async function runStep(ins: Extract<Instruction, { kind: "RUN" }>, state: BuiltStage, log: Log): Promise<string> {
  const text = ins.command.join(" ");
  const packages = ins.shell ? aptPackages(text) : null;
  if (packages) {
    const missing = missingPackages(packages);
    if (missing.length === 0)
      return `RUN apt-get install … skipped: all ${packages.length} packages are installed on this machine (${packages.join(" ")})`;
    // The stage's system is this machine's, so what the image would install must be installed here.
    log(`   line ${ins.line}: installing on this machine what the image installs and it lacks: ${missing.join(" ")}`);
    execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit" });
    execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], {
      stdio: "inherit",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    return `RUN apt-get install … replayed on this machine for ${missing.join(" ")}; the other ${packages.length - missing.length} were installed`;
  }
  const argv = ins.shell ? ["/bin/sh", "-c", ins.command[0]!] : ins.command;
  await runInStage({
    root: state.root,
    workdir: state.workdir,
    user: state.user,
    argv,
    env: { ...proxyBuildArgs(), ...state.env },
  });
  return `RUN ${text}`;
}
