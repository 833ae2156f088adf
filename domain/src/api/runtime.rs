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
    /// Round trips to D1 this isolate made since it started (requests, Durable Objects, work
    /// after responses); a bench divides the difference by the events it sent.
    #[serde(default)]
    pub d1_round_trips: u64,
    /// Statements those round trips carried (a batch is one round trip, several statements).
    #[serde(default)]
    pub d1_statements: u64,
    /// The statements sent most often: the start of the SQL (a batch: its size and first
    /// statement) and how many round trips.
    #[serde(default)]
    pub d1_top: Vec<StatementCount>,
    /// The statements whose round trips were waited for longest in all (the same figures, ordered
    /// by `waited_ms`): where a slow request's time went.
    #[serde(default)]
    pub d1_slowest: Vec<StatementCount>,
}

/// How many round trips started with one statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct StatementCount {
    /// The start of the SQL (for a batch: its size and first statement), without bound values.
    pub sql: String,
    pub round_trips: u64,
    /// Milliseconds those round trips were awaited in all (from the call to D1's answer, as the
    /// isolate saw it: the database's work, its queue and the transport).
    #[serde(default)]
    pub waited_ms: u64,
}
