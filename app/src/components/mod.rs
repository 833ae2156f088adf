//! Small reusable pieces of the UI.

pub mod action_items;
mod badges;
mod deliveries;
mod field;
mod lazy_part;
mod learn_nav;
mod markdown;
mod oncall;
mod text;
mod time;
mod turns;

pub use badges::{SeverityBadge, StatusBadge};
pub use deliveries::{DeliveryList, PageReach, SecretOnce};
pub use field::{ErrorNote, Field};
pub use lazy_part::lazy_part;
pub use learn_nav::LearnNav;
pub use markdown::Markdown;
pub use oncall::OnCallCard;
pub use text::{lower, name_matches};
pub use time::{ago, clock, now_ms};
pub use turns::next_task;
