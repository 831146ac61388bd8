import type { FieldProblem } from "../../../common/src/errors";
import type { Problem } from "../lib/enums";

/** One field-level message from a problem+json body; `field` is the server's path, e.g. `features[2].name`. */
export type FieldError = FieldProblem;

/** A failed API call, carrying the RFC 9457 problem so forms can put each message next to its field. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly field: string | undefined;
  readonly fieldErrors: FieldError[];
  readonly requestId: string | undefined;
  /** Seconds to wait before trying again, from a 429's Retry-After header. */
  readonly retryAfter: number | undefined;

  constructor(problem: Partial<Problem> & { status: number }, retryAfter?: number) {
    super(problem.detail || problem.title || `Request failed (${problem.status})`);
    this.name = "ApiError";
    this.status = problem.status;
    this.code = problem.code ?? "unknown";
    this.title = problem.title ?? "Request failed";
    this.field = problem.field;
    this.requestId = problem.requestId;
    this.retryAfter = retryAfter;
    this.fieldErrors = problem.errors ?? (problem.field ? [{ field: problem.field, message: problem.detail ?? "" }] : []);
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

/** Words to show for any error thrown by a call. */
export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof TypeError) return "The server could not be reached. Check your connection and try again.";
  if (e instanceof Error) return e.message;
  return "Something went wrong.";
}

let csrfToken: string | null = null;
/** Set from the session (login or GET /session); sent as X-CSRF-Token on unsafe requests. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

let onUnauthenticated: (() => void) | null = null;
/** Called when a request made while logged in comes back 401 (the session expired or was ended). */
export function setUnauthenticatedHandler(fn: (() => void) | null): void {
  onUnauthenticated = fn;
}

export type QueryParams = Record<string, string | number | boolean | null | undefined>;

function buildUrl(path: string, query?: QueryParams): string {
  const url = `/api/v1${path}`;
  if (!query) return url;
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === "") continue;
    sp.append(k, String(v));
  }
  const s = sp.toString();
  return s ? `${url}?${s}` : url;
}

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export async function request<T>(
  method: string,
  path: string,
  opts: { query?: QueryParams; body?: unknown; quiet401?: boolean } = {},
): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json, application/problem+json" };
  if (opts.body !== undefined) headers["Content-Type"] = "application/json";
  if (UNSAFE.has(method) && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  const res = await fetch(buildUrl(path, opts.query), {
    method,
    headers,
    credentials: "same-origin",
    body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
  });
  return answer<T>(res, !!opts.quiet401);
}

/** Retry-After as seconds: either a number of seconds or an HTTP date. */
function retryAfterSeconds(h: string | null): number | undefined {
  if (!h) return undefined;
  const n = Number(h);
  if (Number.isFinite(n)) return Math.max(0, Math.ceil(n));
  const at = Date.parse(h);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/** Reads a response: JSON on success, an ApiError carrying the problem otherwise. */
async function answer<T>(res: Response, quiet401: boolean): Promise<T> {
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: unknown = null;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
  }
  if (!res.ok) {
    const p = (json && typeof json === "object" ? json : {}) as Partial<Problem>;
    const err = new ApiError(
      {
        ...p,
        status: res.status,
        title: p.title ?? res.statusText,
        detail:
          p.detail ??
          (res.status >= 500 ? "The server had a problem. Try again in a moment." : `Request failed (${res.status}).`),
      },
      retryAfterSeconds(res.headers.get("retry-after")),
    );
    if (res.status === 401 && !quiet401 && err.code === "unauthenticated") onUnauthenticated?.();
    throw err;
  }
  return json as T;
}

/** Sends a multipart form (a file upload); the browser sets the multipart boundary itself. */
export async function upload<T>(path: string, form: FormData): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json, application/problem+json" };
  if (csrfToken) headers["X-CSRF-Token"] = csrfToken;
  const res = await fetch(buildUrl(path), { method: "POST", headers, credentials: "same-origin", body: form });
  return answer<T>(res, false);
}

export const api = {
  get: <T>(path: string, query?: QueryParams) => request<T>("GET", path, { query }),
  post: <T>(path: string, body: unknown = {}) => request<T>("POST", path, { body }),
  patch: <T>(path: string, body: unknown) => request<T>("PATCH", path, { body }),
  del: <T = void>(path: string) => request<T>("DELETE", path),
};

/** Encodes one path segment (IDs are user-chosen and may hold spaces). */
export const seg = (id: string) => encodeURIComponent(id);
