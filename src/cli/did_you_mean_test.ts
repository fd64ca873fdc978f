import { assertEquals } from "../../tests/assert.ts";
import { closestName, didYouMean, editDistance } from "./did_you_mean.ts";

Deno.test("editDistance counts inserts, deletes, substitutions and swaps", () => {
  assertEquals(editDistance("port", "port"), 0);
  assertEquals(editDistance("prot", "port"), 1); // swapped neighbours
  assertEquals(editDistance("serv", "serve"), 1);
  assertEquals(editDistance("kv", "key"), 2);
  assertEquals(editDistance("", "abc"), 3);
  assertEquals(editDistance("kitten", "sitting"), 3);
});

Deno.test("closestName suggests only close names", () => {
  const flags = ["port", "host", "password", "annotators-per-trace", "kv", "key", "cert"];
  assertEquals(closestName("prot", flags), "port");
  assertEquals(closestName("PORT", flags), "port");
  assertEquals(closestName("pasword", flags), "password");
  assertEquals(closestName("annotators", flags), "annotators-per-trace");
  assertEquals(closestName("hots", flags), "host");
  assertEquals(closestName("frobnicate", flags), undefined);
  assertEquals(closestName("x", flags), undefined);
  assertEquals(closestName("", flags), undefined);
  assertEquals(closestName("ce", flags), undefined); // a prefix of 2 characters is too short
});

Deno.test("didYouMean phrases the hint", () => {
  assertEquals(didYouMean("serv", ["serve", "convert"]), "; did you mean serve?");
  assertEquals(didYouMean("prot", ["port"], "--"), "; did you mean --port?");
  assertEquals(didYouMean("zzz", ["port"]), "");
});
