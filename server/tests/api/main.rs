//! API tests: the real server on a free port, over a fresh database per test (a temporary
//! SQLite file, or a fresh Postgres database when FRONTDESK_TEST_POSTGRES is set).

mod answers;
mod auth;
mod authz;
mod brakes;
mod concurrency;
mod database;
mod enumeration;
mod faults;
mod fixtures;
mod front_door;
mod fuzz;
mod helpers;
mod lifecycle;
mod matrix;
mod member_edits;
mod members;
mod outbox;
mod pages_under_load;
mod patients;
mod promises;
mod recent_pages;
mod rooms;
mod security;
mod seeding;
mod sessions;
mod settings;
mod smtp;
mod static_files;
mod table;
mod test_server;
mod trust;
mod two_step;
mod users;
mod visits;
