/**
 * The `seed` sent with a request: a 31-bit integer from the SHA-256 of what the request
 * asks (model, messages, parameters other than the seed) and its cache tag, so that
 * attempt 2 of an item — same messages, tag `…/attempt:2` — is a new sample even on an
 * endpoint that answers deterministically (temperature 0, a seeded vLLM, a caching
 * gateway), while a re-run sends the very same seed and is served by the cache. The seed
 * is sent, so it is part of the cache key.
 */
import { createHash } from "node:crypto";
import { cacheKey, type CompletionRequest } from "./completion_cache.ts";

/** Largest seed sent: 2^31 − 1 (some servers take only a signed 32-bit integer). */
export const MAX_SEED = 0x7fff_ffff;

/**
 * The seed of `request` (whose `params` hold no seed). `base` (the model's configured
 * `params.seed`) gives another set of seeds.
 */
export function sampleSeed(request: CompletionRequest, base?: number): number {
  return seedOfKey(cacheKey(request), base);
}

/** `sampleSeed` of a request from its cache key (`cacheKey` of the unseeded request). */
export function seedOfKey(unseededKey: string, base?: number): number {
  const digest = createHash("sha256")
    .update(unseededKey)
    .update(base === undefined ? "" : `/base:${base}`)
    .digest();
  return digest.readUInt32BE(0) & MAX_SEED;
}
