//! Frontdesk's schema, portable between SQLite and Postgres.
//!
//! Times are stored as BIGINT milliseconds since the Unix epoch (UTC): the same type, the
//! same ordering and the same keyset comparisons on both databases. Names and emails have
//! folded copies (`search_*`, `*_lower`) that the users table searches with plain indexes.

pub use sea_orm_migration::prelude::*;

mod idens;
mod m20261130_000001_create_domain;
mod m20261130_000002_index_users_by_status;
mod m20261130_000003_create_signups;
mod m20261130_000004_index_users_by_username;
mod m20261201_000005_cover_users_sort_indexes;
mod m20261201_000006_member_versions;
mod m20261201_000007_room_member_status;
mod m20261204_000008_links_expire_and_shared_brakes;
mod m20261204_000009_visits_seen_by_providers;
mod m20261204_000010_two_step_sign_in;
mod m20261205_000011_passkeys;
mod m20261206_000012_bulk_actions;
mod m20261207_000013_member_imports;
mod m20261208_000014_room_and_settings_versions;
mod m20261208_000015_duplicate_lookups;
mod m20261209_000016_dormant_accounts;
mod m20261209_000017_import_possible_duplicates;
mod m20261209_000018_guests_index;
mod m20261210_000019_room_member_counts;
mod m20261211_000020_clinic_member_counts;
mod m20261211_000021_cover_name_order_on_postgres;
#[cfg(test)]
mod testing;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261130_000001_create_domain::Migration),
            Box::new(m20261130_000002_index_users_by_status::Migration),
            Box::new(m20261130_000003_create_signups::Migration),
            Box::new(m20261130_000004_index_users_by_username::Migration),
            Box::new(m20261201_000005_cover_users_sort_indexes::Migration),
            Box::new(m20261201_000006_member_versions::Migration),
            Box::new(m20261201_000007_room_member_status::Migration),
            Box::new(m20261204_000008_links_expire_and_shared_brakes::Migration),
            Box::new(m20261204_000009_visits_seen_by_providers::Migration),
            Box::new(m20261204_000010_two_step_sign_in::Migration),
            Box::new(m20261205_000011_passkeys::Migration),
            Box::new(m20261206_000012_bulk_actions::Migration),
            Box::new(m20261207_000013_member_imports::Migration),
            Box::new(m20261208_000014_room_and_settings_versions::Migration),
            Box::new(m20261208_000015_duplicate_lookups::Migration),
            Box::new(m20261209_000016_dormant_accounts::Migration),
            Box::new(m20261209_000017_import_possible_duplicates::Migration),
            Box::new(m20261209_000018_guests_index::Migration),
            Box::new(m20261210_000019_room_member_counts::Migration),
            Box::new(m20261211_000020_clinic_member_counts::Migration),
            Box::new(m20261211_000021_cover_name_order_on_postgres::Migration),
        ]
    }
}
