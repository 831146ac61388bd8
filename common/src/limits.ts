/** Limits shared by server validation and portal forms. */
export const LIMITS = {
  pageSizeDefault: 50,
  pageSizeMax: 200,
  nameMax: 255,
  descriptionMax: 4000,
  emailMax: 254,
  passwordMin: 12,
  passwordMax: 256,
  /** Specified IDs follow FNO's rule (PRODUCT.md §3 IDs). */
  idMax: 255,
  bodyLimitBytes: 1024 * 1024,
  /** Copies of a line item (or per redeemed key), and copies one lifecycle operation moves. */
  copiesMax: 1_000_000_000,
} as const;

/**
 * Web register key limits, shared by the API's validation, the CLI and the portal's forms, so the
 * portal offers exactly what the server takes.
 */
export const KEY_LIMITS = {
  /** Up to this many generated keys answer at once; more run as a background job. */
  syncGenerateMax: 10_000,
  /** Up to this many unredeemed keys are deleted at once by "delete all"; more run as a background job. */
  syncDeleteAllMax: 50_000,
  /** The most keys one generate request (or `licensor keys generate`) makes. */
  generateMax: 10_000_000,
  /** The key-card PDF takes at most this many keys per request (a large set is printed in parts). */
  pdfMax: 20_000,
} as const;

/** Characters FNO refuses in any specified ID. */
export const FORBIDDEN_ID_CHARS = [
  ",",
  '"',
  "&",
  "%",
  "^",
  "(",
  ")",
  "#",
  "@",
  "!",
  "~",
  "/",
  "<",
  ">",
  "\\",
  "}",
  "{",
  "=",
  "|",
  ".",
];
