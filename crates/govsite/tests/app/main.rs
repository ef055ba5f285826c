//! Integration tests: the service over HTTP on a fresh database per test. The same suite runs on
//! SQLite (default) and on PostgreSQL (`GOVSITE_TEST_DATABASE_URL=postgres://…/postgres`).

mod helpers;

mod accounts;
mod api;
mod audit;
mod backup;
mod bad_input;
mod badges;
mod campaigns;
mod cli;
mod crash;
mod dashboard;
mod deploy;
mod dns;
mod domains;
mod form_fuzz;
mod health;
mod inbox;
mod jurisdiction;
mod menu;
mod metrics;
mod money;
mod names;
mod notifications;
mod paging;
mod policy;
mod privacy;
mod questions;
mod rdap;
mod red_pages;
mod registration;
mod reorganisation;
mod roster;
mod secondaries;
mod secrets;
mod sites;
mod stored;
mod supervision;
mod workbench;
mod zone;
