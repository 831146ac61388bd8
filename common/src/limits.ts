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
