/**
 * The gym's scene loop: environment, user, agent and judge playing one scene (see
 * `gym_types.ts` for the contract). Placeholder on this branch so `proactive datagen`
 * compiles; the real loop replaces this file when the branches are merged.
 */
import type { SceneRunner } from "./gym_types.ts";

export const runScene: SceneRunner = () => Promise.reject(new Error("scene loop not merged yet"));
