/**
 * The labels of a result file's `real_user` map, without the schema (`result_file.ts`
 * validates them with zod): modules that only need the values can skip loading zod.
 * - the sorted list of accepted task indices (0-based),
 * - `"Reject all"`,
 * - `"need"` / `"no need"` for help-mode traces.
 */
export const REJECT_ALL = "Reject all";
export const HELP_NEED = "need";
export const HELP_NO_NEED = "no need";

export type Label = number[] | typeof REJECT_ALL | typeof HELP_NEED | typeof HELP_NO_NEED;
