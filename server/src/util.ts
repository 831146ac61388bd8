import crypto from "node:crypto";
import { v7 as uuidv7 } from "uuid";

/** Time-ordered unique id: sorts by creation, so it doubles as a keyset for append-only tables. */
export const newId = (): string => uuidv7();

export const nowIso = (): string => new Date().toISOString();

export const sha256 = (s: string): string => crypto.createHash("sha256").update(s).digest("hex");

export const randomToken = (bytes = 32): string => crypto.randomBytes(bytes).toString("base64url");

/** Constant-time string equality (for CSRF tokens and other secrets). */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && crypto.timingSafeEqual(ab, bb);
}

export const bool = (n: number | boolean | null | undefined): boolean => n === 1 || n === true;
export const int = (b: boolean): number => (b ? 1 : 0);

/**
 * A background look run every `intervalMs` and at once when nudged, never two at a time: a nudge
 * during a look brings one more look after it (what changed meanwhile is seen). A failed look is
 * left for the next one (a database hiccup). The outbox and webhook dispatchers run on it.
 */
export class Poller {
  private timer: NodeJS.Timeout | null = null;
  private work: Promise<unknown> | null = null;
  private again = false;

  constructor(
    private readonly look: () => Promise<unknown>,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.nudge(), this.intervalMs);
    this.timer.unref();
    this.nudge();
  }

  /** Stops looking; resolves once the look under way, if any, has ended. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.work?.catch(() => 0);
  }

  nudge(): void {
    if (this.work) {
      this.again = true;
      return;
    }
    this.work = this.look()
      .catch(() => 0)
      .finally(() => {
        this.work = null;
        if (this.again && this.timer) {
          this.again = false;
          this.nudge();
        }
      });
  }
}
