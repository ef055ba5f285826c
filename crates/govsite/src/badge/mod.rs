//! The website identifier badge on the pages of approved sites: its images ([`art`]), the
//! in-memory book of issued badges with their precomputed scripts ([`book`]), and the hot
//! path that serves them ([`serve`]).

pub mod art;
pub mod book;
pub mod serve;

pub use book::Book;
