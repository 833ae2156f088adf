//! Writes the OpenAPI document (openapi/, built natively with the domain's `openapi` feature) to
//! OUT_DIR; `http::openapi` embeds it, so the worker's wasm carries the text and no schema code.

fn main() {
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("openapi.json");
    std::fs::write(&out, tocsin_openapi::document_json()).expect("writing openapi.json");
    // Rerun only when the generator (a build dependency: its route table and the domain's
    // wire types) or this script changes.
    println!("cargo:rerun-if-changed=build.rs");
}
