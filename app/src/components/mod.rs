//! Small reusable pieces of the UI.

pub mod action_items;
mod badges;
mod deliveries;
mod field;
mod learn_nav;
mod markdown;
mod oncall;
mod time;

pub use badges::{SeverityBadge, StatusBadge};
pub use deliveries::{DeliveryList, PageReach, SecretOnce};
pub use field::{ErrorNote, Field};
pub use learn_nav::LearnNav;
pub use markdown::Markdown;
pub use oncall::OnCallCard;
pub use time::{ago, clock, now_ms};
