//! 网络红页, the free micro-site: uploads checked ([`image`]), pages rendered from the content
//! ([`render`]), published pages kept in memory ([`book`]) and served ([`serve`]) on the web
//! role at `/r/{slug}/` and on a unit's own name through the forwarding role. The decisions
//! (save, publish, roll back, withdraw, take down) are in `registry::red_pages`.

pub mod book;
pub mod image;
pub mod render;
pub mod serve;

pub use book::RedPages;
