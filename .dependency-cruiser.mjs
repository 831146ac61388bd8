/**
 * The layering of Licensor, checked by `npm run lint:deps` (part of `npm test`). docs/ARCHITECTURE.md
 * ("Layering") says the same in words; change both together.
 *
 * The server is built in floors: a file may import its own floor and the floors below it, never one
 * above. Beside the floors stand a few rules the floors alone do not say (only routes present, the
 * job runner knows no kind of job, the domain knows no database, common/ runs in the browser too).
 */

/** The server's floors, top first. A file of a floor may import from its own floor and those below. */
const FLOORS = [
  {
    name: "entry",
    path: "^(cli/src/|server/src/server\\.ts$)",
    why: "the CLI and the process that serves: they compose everything",
  },
  { name: "app", path: "^server/src/app\\.ts$", why: "builds the Fastify app from plugins and routes" },
  {
    name: "routes",
    path: "^server/src/(routes|soap)/",
    why: "HTTP: validate, authenticate, call one command or repo, present (the REST routes and the FNO SOAP facade)",
  },
  { name: "plugins", path: "^server/src/plugins/", why: "Fastify plugins: errors, auth, idempotency, validation" },
  {
    name: "jobs",
    path: "^server/src/jobs/(?!(runner|registry|fileStore)\\.ts$)",
    why: "the kinds of background job (their handlers): like routes, they call use cases",
  },
  {
    name: "use cases",
    path: "^server/src/(commands|keys|presenters)/",
    why: "commands and the key loader, one use case each, beside the presenters that turn rows into JSON",
  },
  {
    name: "services",
    path: "^server/src/(security|policies|licensing|mail|webhooks)/|^server/src/audit\\.ts$|^server/src/jobs/(runner|registry|fileStore)\\.ts$",
    why: "authorization, sessions and passwords, license signing keys, the outbox and SMTP, webhook fan-out and delivery, the audit writer, the job runner, its registry and the file store",
  },
  { name: "db", path: "^server/src/db/", why: "Kysely: row types, connections, migrations, and repos, reads that return rows" },
  { name: "rules", path: "^server/src/(domain|keyfiles)/", why: "pure rules and key-file formats: no database" },
  {
    name: "base",
    path: "^server/src/(actor|config|errors|metrics|util)\\.ts$",
    why: "who acts, configuration, errors, the process's metrics, small helpers",
  },
];

/** One rule per floor: nothing it imports stands on a floor above it. */
const floorRules = FLOORS.slice(1).map((floor, i) => ({
  name: `${floor.name.replaceAll(" ", "-")}-not-up`,
  comment: `a file of the ${floor.name} floor (${floor.why}) imports nothing from a floor above it: ${FLOORS.slice(0, i + 1)
    .map((f) => f.name)
    .join(", ")}`,
  severity: "error",
  from: { path: floor.path },
  to: { path: FLOORS.slice(0, i + 1).map((f) => f.path) },
}));

/**
 * TEMPORARY allowances: each is one import (from → to, under one rule) that another branch of
 * issue 13 removes, and goes with the merge of that branch. Nothing else may be added here: the
 * check is to pass with this list empty.
 */
const KNOWN = [];

/** `rule` without the imports of KNOWN that name it. */
function allowingKnown(rule) {
  const known = KNOWN.filter((k) => k.rule === rule.name);
  if (known.length === 0) return [rule];
  const exact = (p) => `^${p.replaceAll(".", "\\.")}$`;
  const list = (p) => (p === undefined ? [] : [p].flat());
  const froms = [...new Set(known.map((k) => k.from))];
  return [
    { ...rule, from: { ...rule.from, pathNot: [...list(rule.from.pathNot), ...froms.map(exact)] } },
    ...froms.map((from) => ({
      ...rule,
      from: { ...rule.from, path: exact(from) },
      to: { ...rule.to, pathNot: [...list(rule.to.pathNot), ...known.filter((k) => k.from === from).map((k) => exact(k.to))] },
    })),
  ];
}

const rules = [
  {
    name: "no-circular",
    comment: "no files import each other, directly or around a loop, anywhere",
    severity: "error",
    from: {},
    to: { circular: true },
  },
  {
    name: "not-to-unresolvable",
    comment: "every import resolves to a file or a package (an import the check cannot follow is one it cannot judge)",
    severity: "error",
    from: {},
    to: { couldNotResolve: true },
  },
  {
    name: "common-stands-alone",
    comment: "common/ is shared by server, portal and CLI: it imports none of them",
    severity: "error",
    from: { path: "^common/" },
    to: { path: "^(server|web|cli|bench|e2e|bin)/" },
  },
  {
    name: "common-runs-anywhere",
    comment: "common/ runs in the browser too: no Node built-ins, no database, server or React packages",
    severity: "error",
    from: { path: "^common/", pathNot: "\\.test\\.ts$" },
    to: {
      dependencyTypesNot: ["local"],
      pathNot: "(^|/)node_modules/(typebox|date-fns|@date-fns/utc)/",
    },
  },
  {
    name: "web-not-server",
    comment:
      "the portal talks to the server over HTTP only: it imports nothing from server/ or cli/ (shared code lives in common/)",
    severity: "error",
    from: { path: "^web/" },
    to: { path: "^(server|cli|bench|e2e|bin)/" },
  },
  {
    name: "server-not-outside",
    comment: "the server imports nothing from the CLI, the portal, benchmarks or tests",
    severity: "error",
    from: { path: "^server/src/" },
    to: { path: "^(cli|web|bench|e2e|bin)/|^server/test/" },
  },
  ...floorRules,
  {
    name: "presenters-only-for-routes",
    comment:
      "routes present the rows commands return; commands use presenters only for the before/after JSON an audit event records (the API's shape of the object); nothing else imports them",
    severity: "error",
    from: { path: "^server/src/", pathNot: "^server/src/(routes|soap|presenters|commands)/" },
    to: { path: "^server/src/presenters/" },
  },
  {
    name: "use-cases-not-beside",
    comment: "presenters turn rows into JSON and know no command or key loader",
    severity: "error",
    from: { path: "^server/src/presenters/" },
    to: { path: "^server/src/(commands|keys)/" },
  },
  {
    name: "domain-no-database",
    comment: "server/src/domain/ is pure rules: no Kysely, no database driver, no I/O",
    severity: "error",
    from: { path: "^server/src/domain/" },
    to: { path: "(^|/)node_modules/(kysely|pg|better-sqlite3)/|^(fs|fs/promises|net|http|https|child_process|worker_threads)$" },
  },
  {
    name: "job-runner-knows-no-kind",
    comment:
      "the job runner and the registry know no kind of job: the runner finds a handler in the registry by the job's type, and imports none",
    severity: "error",
    from: { path: "^server/src/jobs/(runner|registry)\\.ts$" },
    to: { path: "^server/src/jobs/(?!(runner|registry|fileStore)\\.ts$)|^server/src/(keys|keyfiles|commands)/" },
  },
  {
    name: "job-handlers-not-runner",
    comment: "job handlers register by kind and get a JobContext: they do not import the runner",
    severity: "error",
    from: { path: "^server/src/jobs/(handlers|mailHandlers|webhookHandlers)" },
    to: { path: "^server/src/jobs/runner\\.ts$" },
  },
];

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: rules.flatMap(allowingKnown),
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(dist|web/dist|data|bench/\\.out)/" },
    // `import type` counts: a type names the module it comes from as much as a value does.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    // Packages that are ESM with an `exports` map (typebox, csv-stringify/sync) resolve as Node resolves them.
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default", "types"] },
  },
};
