/** The shared FNO vocabulary (common/src), re-exported for the portal. */
export * from "../../../common/src/enums";
export * from "../../../common/src/errors";
export * from "../../../common/src/limits";
