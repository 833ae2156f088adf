//! Wire type of `GET /api/admin/runtime`: figures about the isolate that answered (for the
//! benches; say nothing about other isolates).

use serde::{Deserialize, Serialize};

/// The answering isolate's runtime figures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct RuntimeFigures {
    /// The worker's wasm linear memory in bytes (pages × 65 536). It only grows: a figure that
    /// rises with traffic is a leak or an unbounded per-isolate cache.
    pub wasm_memory_bytes: u64,
}
