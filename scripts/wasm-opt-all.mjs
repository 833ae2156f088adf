// wasm-opt -Oz over many modules in one process (the split app has hundreds of small chunks; one
// node start per chunk cost minutes). Same features as WASM_OPT_FLAGS in build.sh; names and
// debug sections are dropped, as the CLI does without -g, and so are the producers and
// target_features sections. Usage: node wasm-opt-all.mjs FILE...
import binaryen from "binaryen";
import { readFileSync, writeFileSync } from "node:fs";

const F = binaryen.Features;
const features = F.BulkMemory | (F.BulkMemoryOpt ?? 0) | F.NontrappingFPToInt | F.SignExt | F.ReferenceTypes | F.Multivalue | F.MutableGlobals;
binaryen.setOptimizeLevel(2);
binaryen.setShrinkLevel(2);
binaryen.setDebugInfo(Boolean(process.env.TOCSIN_WASM_NAMES)); // names kept only for profiling (build.sh)
let failed = 0;
for (const file of process.argv.slice(2)) {
  try {
    const m = binaryen.readBinary(readFileSync(file));
    m.setFeatures(features);
    m.optimize();
    // Chunks are fetched one by one, each gzipped on its own: their custom sections (producers,
    // target_features; ~200 bytes a chunk, hundreds of chunks per screen) are pure overhead.
    m.runPasses(["strip-producers", "strip-target-features"]);
    if (!m.validate()) throw new Error("invalid after optimising");
    writeFileSync(file, m.emitBinary());
    m.dispose();
  } catch (e) {
    console.error(`wasm-opt ${file}: ${e.message ?? e}`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);
