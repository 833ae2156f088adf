//! Small reusable pieces of the UI.

mod badges;
mod deliveries;
mod field;
mod markdown;
mod oncall;
mod time;

pub use badges::{SeverityBadge, StatusBadge};
pub use deliveries::{DeliveryList, PageReach, SecretOnce};
pub use field::{ErrorNote, Field};
pub use markdown::Markdown;
pub use oncall::OnCallCard;
pub use time::{ago, clock, now_ms};
