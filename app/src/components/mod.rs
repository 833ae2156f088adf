//! Small reusable pieces of the UI.

mod badges;
mod field;
mod time;

pub use badges::{SeverityBadge, StatusBadge};
pub use field::{ErrorNote, Field};
pub use time::{ago, clock, now_ms};
