/**
 * The steps `eval agent` can chain after its own: `--judge-model R` runs `eval judge`, and
 * `--score` runs `eval score` on the model's folder (`SCORE_STEP`; tests inject others).
 */
import { join } from "node:path";
import type { CommandContext } from "../cli/command.ts";
import { parseEvalScoreOptions, runEvalScore } from "./score_command.ts";

export interface ScoreStepInput {
  /** The folder holding one sub-folder per model (`--out-dir`). */
  outDir: string;
  /** The model folders to score (names under `outDir`). */
  models: string[];
  json: boolean;
}

/** Scores judged folders, prints its table, resolves to an exit code. */
export type ScoreStep = (input: ScoreStepInput, ctx: CommandContext) => Promise<number>;

/** `eval score` on the model folders, with its defaults (embedded splits, CSV beside). */
export const SCORE_STEP: ScoreStep = async ({ outDir, models, json }, ctx) => {
  const args = [...models.map((model) => join(outDir, model)), ...(json ? ["--json"] : [])];
  await runEvalScore(parseEvalScoreOptions(args), ctx);
  return 0;
};
