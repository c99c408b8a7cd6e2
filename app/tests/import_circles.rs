//! No import circle between the files of `app/src`: the `crate::…` and `super::…` paths each
//! file names (in `use` lines and inline) point at other files, and no file may reach
//! itself by following them. A circle is where layers stop being layers: a feature that
//! needs a helper which needs the feature back.
//!
//! A path is resolved to the longest file it names
//! (`crate::members::server::edit::find_member` is `members/server/edit.rs`;
//! `crate::accounts::Status` is `accounts/mod.rs`); a brace group is read one level deep. A
//! module's own `mod.rs` re-exporting its children (`pub use page::*`) is
//! its face, not an import, and is not followed. Inline `mod tests` blocks are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read app/src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The module a file is: `members/edit.rs` is `["members", "edit"]`, `members/mod.rs` and
/// `lib.rs` are their folder.
fn module_of(file: &str) -> Vec<String> {
    let mut parts: Vec<String> = file
        .trim_end_matches(".rs")
        .split('/')
        .map(str::to_owned)
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// The file that defines the longest prefix of `path`, if any.
fn file_of(path: &[String], files: &BTreeSet<String>) -> Option<String> {
    for len in (0..=path.len()).rev() {
        let prefix = path[..len].join("/");
        if len == 0 {
            return Some("lib.rs".to_owned());
        }
        for candidate in [format!("{prefix}.rs"), format!("{prefix}/mod.rs")] {
            if files.contains(&candidate) {
                return Some(candidate);
            }
        }
    }
    None
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The lower-case segments of a path starting at `text` ("edit::find_member(…" gives
/// `["edit", "find_member"]`), and what follows them.
fn segments(text: &str) -> (Vec<String>, &str) {
    let mut rest = text;
    let mut out = Vec::new();
    loop {
        let end = rest.find(|c: char| !is_ident(c)).unwrap_or(rest.len());
        let ident = &rest[..end];
        if ident.is_empty() || !ident.starts_with(|c: char| c.is_ascii_lowercase()) {
            return (out, rest);
        }
        out.push(ident.to_owned());
        rest = &rest[end..];
        match rest.strip_prefix("::") {
            Some(after) => rest = after,
            None => return (out, rest),
        }
    }
}

/// Every module path a file names, as absolute module paths.
fn named_paths(file: &str, source: &str) -> Vec<Vec<String>> {
    let own = module_of(file);
    let mut code = String::new();
    for line in source.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("mod tests") {
            break;
        }
        if !trimmed.starts_with("//") {
            code.push_str(line);
            code.push('\n');
        }
    }
    let mut paths = Vec::new();
    let mut at = 0;
    while at < code.len() {
        let rest = &code[at..];
        let preceded_by_ident = code[..at].chars().next_back().is_some_and(is_ident);
        let (base, after) = if !preceded_by_ident && rest.starts_with("crate::") {
            (Vec::new(), &rest["crate::".len()..])
        } else if !preceded_by_ident && rest.starts_with("super::") {
            let mut after = rest;
            let mut up = 0;
            while let Some(next) = after.strip_prefix("super::") {
                after = next;
                up += 1;
            }
            // `super` is the module above the file's own (for `members/edit.rs`, `members`;
            // for `members/mod.rs`, the crate).
            (own[..own.len().saturating_sub(up)].to_vec(), after)
        } else {
            at += rest.chars().next().map_or(1, char::len_utf8);
            continue;
        };
        let (segs, tail) = segments(after);
        let mut path = base.clone();
        path.extend(segs);
        if let Some(group) = tail.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for item in group.split(',') {
                let (inner, _) = segments(item.trim());
                let mut p = path.clone();
                p.extend(inner.into_iter().filter(|s| s != "self"));
                paths.push(p);
            }
        }
        paths.push(path);
        at = code.len() - tail.len();
    }
    paths
}

/// Strongly connected components of more than one file (Tarjan).
fn circles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, v: &'a str) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in &self.graph[v] {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.on_stack.contains(w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                loop {
                    let w = self.stack.pop().expect("on the stack");
                    self.on_stack.remove(w);
                    component.push(w.to_owned());
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !walk.index.contains_key(v.as_str()) {
            walk.visit(v);
        }
    }
    walk.found
}

fn graph_of(root: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut found = Vec::new();
    rust_files(root, &mut found);
    let sources: BTreeMap<String, String> = found
        .iter()
        .map(|p| {
            let name = p
                .strip_prefix(root)
                .expect("under src")
                .to_string_lossy()
                .replace('\\', "/");
            (name, std::fs::read_to_string(p).expect("read"))
        })
        .collect();
    let files: BTreeSet<String> = sources.keys().cloned().collect();
    sources
        .iter()
        .map(|(file, source)| {
            let targets = named_paths(file, source)
                .iter()
                .filter_map(|p| file_of(p, &files))
                .filter(|t| t != file && t != "lib.rs")
                .collect();
            (file.clone(), targets)
        })
        .collect()
}

#[test]
fn no_file_in_app_src_imports_itself_through_others() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = graph_of(&root);
    assert!(graph.len() > 50, "read the sources: {} files", graph.len());
    let edges: usize = graph.values().map(BTreeSet::len).sum();
    assert!(edges > 200, "found the imports: {edges}");
    let found = circles(&graph);
    assert!(
        found.is_empty(),
        "import circles in app/src (each group reaches itself):\n{}",
        found
            .iter()
            .map(|c| format!("  {}", c.join(" → ")))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn the_check_sees_a_circle() {
    let dir = tempfile_dir();
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("lib.rs", "pub mod a;\npub mod b;\n");
    write("a/mod.rs", "pub mod x;\n");
    write("a/x.rs", "use crate::b::{y::thing, Other};\n");
    write("b/mod.rs", "pub mod y;\npub struct Other;\n");
    write("b/y.rs", "pub fn thing() { super::super::a::x::f() }\n");
    let graph = graph_of(&dir);
    assert_eq!(
        circles(&graph),
        vec![vec!["a/x.rs".to_owned(), "b/y.rs".to_owned()]],
        "{graph:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("import-circles-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
