// Zstandard copies of the app's first-load pieces (scripts/build.sh): for each file given,
// FILE.zst at level 19. The worker serves them with `Content-Encoding: zstd` to browsers that
// accept it (worker/src/http/app_files.rs, which says why zstd): ~12 % fewer bytes than gzip for
// the wasm. Build time is spent once (about a second for every piece).
//
// Usage: node scripts/precompress.mjs FILE...   (Node 22.15 or later: zlib's Zstandard)
import { readFileSync, writeFileSync } from "node:fs";
import { zstdCompressSync, constants } from "node:zlib";

for (const file of process.argv.slice(2)) {
  const body = readFileSync(file);
  writeFileSync(`${file}.zst`, zstdCompressSync(body, { params: {
    [constants.ZSTD_c_compressionLevel]: 19,
    [constants.ZSTD_c_checksumFlag]: 1,
  } }));
}
