import fs from "node:fs";
import path from "node:path";

/**
 * Which server processes run on a data folder: each one that serves the embedded SQLite database
 * writes `running/<pid>` there while it runs (several may share one database), and removes it when it
 * stops. `licensor restore` reads the folder and refuses while any listed process is alive; a file
 * whose process is gone (a crash, a SIGKILL) is stale and ignored. SQLite's own locks cannot tell:
 * an idle server in WAL mode holds none that another process could test for.
 */
const RUNNING_DIR = "running";

/** Marks this process as serving `dataDir`; returns what unmarks it (also run at process exit). */
export function markRunning(dataDir: string): () => void {
  const dir = path.join(dataDir, RUNNING_DIR);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, String(process.pid));
  fs.writeFileSync(file, `${new Date().toISOString()}\n`, { mode: 0o600 });
  const unmark = () => {
    process.off("exit", unmark);
    fs.rmSync(file, { force: true });
  };
  process.on("exit", unmark);
  return unmark;
}

/** The IDs of live processes serving `dataDir` (stale marks of dead processes are removed). */
export function runningServers(dataDir: string): number[] {
  const dir = path.join(dataDir, RUNNING_DIR);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const live: number[] = [];
  for (const name of names) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    if (isAlive(pid)) live.push(pid);
    else fs.rmSync(path.join(dir, name), { force: true });
  }
  return live;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
