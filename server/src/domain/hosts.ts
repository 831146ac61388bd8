import type { HostId, HostIdIn } from "../../../common/src/api/fulfillments.js";
import type { FieldProblem } from "../../../common/src/errors.js";
import { normalizeHostId } from "../../../verifier/src/index.js";

/**
 * Host IDs as a license binds them (docs/LICENSE-FORMAT.md §4): type STRING unless given, the id
 * normalized by its type (the verifier's own function, so the server and every verifier compare
 * alike); the same host twice in one request is refused, naming both places.
 */
export function normalizeHosts(hosts: HostIdIn[], field = "hosts"): { hosts: HostId[] } | { problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const out: HostId[] = [];
  const seen = new Map<string, number>();
  hosts.forEach((h, i) => {
    const type = h.type ?? "STRING";
    const id = normalizeHostId(type, h.id);
    if (id === "") {
      problems.push({ field: `${field}[${i}].id`, message: "must not be empty" });
      return;
    }
    const key = `${type}\u0000${id}`;
    const first = seen.get(key);
    if (first !== undefined) {
      problems.push({ field: `${field}[${i}].id`, message: `is the same host as ${field}[${first}] (${type} ${id})` });
      return;
    }
    seen.set(key, i);
    out.push({ type, id });
  });
  return problems.length ? { problems } : { hosts: out };
}
