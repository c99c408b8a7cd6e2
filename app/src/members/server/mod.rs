//! What only the server runs for the members screens: creating members, the Member Detail's
//! opening and saving, the account lifecycle, bulk actions, Export and Import CSV, the users table's queries, the pages the
//! server remembers, and the table as the server renders it.

pub mod bulk;
mod bulk_changes;
pub mod bulk_work;
pub mod create;
pub mod dormant;
pub mod edit;
pub mod export;
mod import_cells;
mod import_parse;
pub mod import_read;
mod import_rows;
pub mod import_state;
pub mod import_work;
mod leases;
pub mod lifecycle;
mod page_plan;
pub mod possible_duplicates;
pub mod remembered;
pub(super) mod rendered_table;
pub mod users_table;
