//! Finds the page templates: every `*.html` under `templates/` is compiled into the binary by
//! name (its path relative to `templates/`, with `/`), so a new template needs no list entry.
//! Writes `$OUT_DIR/templates.rs`, included by `src/pages.rs`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=templates");
    let root = Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"))
        .join("templates")
        .canonicalize()
        .expect("templates/ exists");
    let mut files = Vec::new();
    walk(&root, &mut files);
    files.sort();
    let mut out = String::from(
        "/// Every page template under `templates/`: (name relative to `templates/`, source).\n\
         pub(crate) const TEMPLATES: &[(&str, &str)] = &[\n",
    );
    for path in &files {
        let name = path
            .strip_prefix(&root)
            .expect("found under templates/")
            .components()
            .map(|c| c.as_os_str().to_str().expect("template paths are UTF-8"))
            .collect::<Vec<_>>()
            .join("/");
        // Relative to the crate being compiled, not to where this script last ran: two
        // clones sharing one target directory must not read each other's templates.
        writeln!(
            out,
            "    ({name:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/templates/\", {name:?}))),"
        )
        .expect("write to a String");
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("templates.rs");
    std::fs::write(&dest, out).unwrap_or_else(|e| panic!("cannot write {}: {e}", dest.display()));
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("readable directory entry").path();
        if path.is_dir() {
            walk(&path, files);
        } else if path.extension().is_some_and(|e| e == "html") {
            files.push(path);
        }
    }
}
