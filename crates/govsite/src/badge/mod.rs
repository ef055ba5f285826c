//! The website identifier badge on the pages of approved sites: its images ([`art`]), the
//! in-memory book of issued badges with their precomputed scripts ([`book`]), and the hot
//! path that serves them ([`serve`]), and the crawler that checks sites show them
//! ([`checker`]).

pub mod art;
pub mod book;
pub mod checker;
pub mod serve;

pub use book::Book;
