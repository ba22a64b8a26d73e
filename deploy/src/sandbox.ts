// A stage's filesystem for the Docker replay: a directory that stands for the image's root. Commands run in
// it with chroot, inside a private mount namespace (unshare -m) where this machine's /usr and /etc are bound
// read-only, so absolute paths in the Dockerfile (/app, /tmp, /var/lib/apt/lists) land in the stage and
// nothing the build runs can change the machine. The mounts vanish with the namespace when the command ends.
import { spawn, type ChildProcess } from "node:child_process";
import {
  appendFileSync,
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export interface SandboxUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

const readOnlyBinds = ["usr", "etc"];
const usrSymlinks = ["bin", "lib", "lib64", "sbin"];
const machineCaches = [".npm", ".cache/wangxiang"];

/** Lays out an empty root: the machine's system through symlinks and bind points, its own /tmp, /var, /root. */
export function createStageRoot(root: string, extraUsers: SandboxUser[]): void {
  for (const dir of [...readOnlyBinds, "dev", "proc", "sys", "tmp", "var/tmp", "root", "run", "home"])
    mkdirSync(join(root, dir), { recursive: true });
  chmodSync(join(root, "tmp"), 0o1777);
  chmodSync(join(root, "var/tmp"), 0o1777);
  for (const link of usrSymlinks) if (!existsSync(join(root, link))) symlinkSync(`usr/${link}`, join(root, link));
  // The base image's own users (node:20 has `node`, uid 1000), laid over the machine's /etc/passwd and /etc/group.
  const etc = join(root, ".replay-etc");
  mkdirSync(etc, { recursive: true });
  writeFileSync(join(etc, "passwd"), readFileSync("/etc/passwd", "utf8"));
  writeFileSync(join(etc, "group"), readFileSync("/etc/group", "utf8"));
  for (const user of extraUsers) {
    appendFileSync(join(etc, "passwd"), `${user.name}:x:${user.uid}:${user.gid}::${user.home}:/bin/sh\n`);
    appendFileSync(join(etc, "group"), `${user.name}:x:${user.gid}:\n`);
    mkdirSync(join(root, user.home), { recursive: true });
    chownSync(join(root, user.home), user.uid, user.gid);
  }
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, "'\\''")}'`;
}

function mountScript(root: string): string {
  const r = shellQuote(root);
  const lines = ["set -e"];
  for (const dir of readOnlyBinds)
    lines.push(`mount --bind /${dir} ${r}/${dir}`, `mount -o remount,bind,ro ${r}/${dir}`);
  lines.push(
    `mount --bind ${r}/.replay-etc/passwd ${r}/etc/passwd`,
    `mount --bind ${r}/.replay-etc/group ${r}/etc/group`,
    `mount --rbind /dev ${r}/dev`,
    `mount --rbind /proc ${r}/proc`,
    `mount --rbind /sys ${r}/sys`,
  );
  // The machine's caches are shared, as a Docker builder's cache would be: npm's (a replay downloads only
  // what it lacks) and scripts/mediasoup-worker.sh's (a worker built for this Debian release is reused).
  for (const cache of machineCaches) {
    const onMachine = join(homedir(), cache);
    if (existsSync(onMachine))
      lines.push(`mkdir -p ${r}/root/${cache}`, `mount --bind ${shellQuote(onMachine)} ${r}/root/${cache}`);
  }
  // So is its npm configuration (registry, CA file, nodedir for node-gyp's headers): what a Docker build
  // would be given with build arguments on a machine that cannot reach nodejs.org or GitHub.
  const npmrc = join(homedir(), ".npmrc");
  if (existsSync(npmrc))
    lines.push(
      `touch ${r}/root/.npmrc`,
      `mount --bind ${shellQuote(npmrc)} ${r}/root/.npmrc`,
      `mount -o remount,bind,ro ${r}/root/.npmrc`,
    );
  return lines.join("\n");
}

export interface SandboxCommand {
  root: string;
  workdir: string;
  user: string;
  argv: string[];
  env: Record<string, string>;
  /** inherit: stdout and stderr (a RUN step: no stdin, as in Docker); pipe; interactive: stdin too. */
  stdio?: "inherit" | "pipe" | "interactive";
}

/** Starts argv in the stage, as `user`, in `workdir`. The returned child is the command itself (every step execs). */
export function spawnInStage(cmd: SandboxCommand): ChildProcess {
  const enter = `cd "$1" && shift && exec "$@"`;
  const chroot = ["chroot", `--userspec=${cmd.user}`, cmd.root, "/bin/sh", "-c", enter, "sh", cmd.workdir, ...cmd.argv]
    .map(shellQuote)
    .join(" ");
  const script = `${mountScript(cmd.root)}\nexec ${chroot}`;
  return spawn("unshare", ["--mount", "--propagation", "private", "/bin/sh", "-c", script], {
    env: cmd.env,
    stdio:
      cmd.stdio === "pipe"
        ? ["ignore", "pipe", "pipe"]
        : [cmd.stdio === "interactive" ? "inherit" : "ignore", "inherit", "inherit"],
  });
}

export function runInStage(cmd: SandboxCommand): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawnInStage(cmd);
    child.on("error", reject);
    child.on("exit", (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`exited with ${code ?? signal}: ${cmd.argv.join(" ")}`)),
    );
  });
}

/** Refuses to delete a replay directory while anything is mounted below it (it would delete the machine's /usr). */
export function removeReplayDir(dir: string): void {
  const mounts = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[4] ?? "");
  const inside = mounts.filter((m) => m === dir || m.startsWith(`${dir}/`));
  if (inside.length) throw new Error(`not removing ${dir}: still mounted there: ${inside.join(", ")}`);
  rmSync(dir, { recursive: true, force: true });
}
