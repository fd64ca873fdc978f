/**
 * The steps `eval agent` can chain after its own: `--judge-model R` runs `eval judge`, and
 * `--score` runs the score step on the same folder. The score step is the function of
 * `eval score`; until that command is part of the build, `SCORE_STEP` is undefined and
 * `--score` is refused with a clear message.
 */
import type { CommandContext } from "../cli/command.ts";

export interface ScoreStepInput {
  /** The folder holding one sub-folder per model (`--out-dir`). */
  outDir: string;
  /** The model folders to score (names under `outDir`). */
  models: string[];
  json: boolean;
}

/** Scores judged folders, prints its table, resolves to an exit code. */
export type ScoreStep = (input: ScoreStepInput, ctx: CommandContext) => Promise<number>;

/** The score step of this build (wire `eval score`'s function here). */
export const SCORE_STEP: ScoreStep | undefined = undefined;
