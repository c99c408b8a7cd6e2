//! Small components any screen may use; they know nothing of members, patients or rooms.

pub mod modal;
pub mod page_focus;
pub mod password_rules;
pub mod polling;
pub mod post_form;
