//! Wire types of secrets at rest: the answer of `POST /api/admin/reseal` (see
//! `crate::sealed` for the sealed format and the rotation rules).

use serde::{Deserialize, Serialize};

/// What one re-seal step did (`POST /api/admin/reseal`): values moved to the current key,
/// values still under an older key or format, values that could not be opened with either key,
/// and the keys in use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ResealReport {
    /// Values this step sealed again under the current key.
    pub resealed: u64,
    /// Values still under the previous key or in the legacy `s1` format.
    pub remaining: u64,
    /// Values this step could not open, plus values sealed under a key the deployment does
    /// not hold (set it as `TOCSIN_SECRET_KEY_PREVIOUS` to re-seal them).
    pub failed: u64,
    /// The id of `TOCSIN_SECRET_KEY` (the key in `s2.<key id>.…`).
    pub key_id: String,
    /// The id of `TOCSIN_SECRET_KEY_PREVIOUS`, when it is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_key_id: Option<String>,
}
