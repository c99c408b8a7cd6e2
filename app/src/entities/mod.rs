//! SeaORM entities: the database's shape, used only on the server.
//!
//! These are not the types sent to the browser; each domain module maps them into its own
//! serde types (`MemberRow`, …), so password hashes and token hashes never leave the server.

pub mod audit_event;
pub mod brake;
pub mod bulk_action;
pub mod bulk_action_item;
pub mod clinic;
pub mod clinic_admin;
pub mod mail_outbox;
pub mod member_import;
pub mod member_import_row;
pub mod passkey;
pub mod password_history;
pub mod password_token;
pub mod recovery_code;
pub mod room;
pub mod room_count;
pub mod second_step;
pub mod session;
pub mod signup;
pub mod two_step;
pub mod user;
pub mod user_room;
pub mod visit;
