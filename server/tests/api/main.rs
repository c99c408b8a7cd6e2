//! API tests: the real server on a free port, over a fresh database per test (a temporary
//! SQLite file, or a fresh Postgres database when FRONTDESK_TEST_POSTGRES is set).

mod auth;
mod authz;
mod concurrency;
mod enumeration;
mod faults;
mod fuzz;
mod helpers;
mod lifecycle;
mod members;
mod patients;
mod rooms;
mod security;
mod settings;
mod smtp;
mod table;
mod users;
