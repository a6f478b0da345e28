//! No import cycles between the modules of a crate: for each crate of the workspace, every `.rs`
//! file under its `src/` is a module (`a/b.rs` and `a/b/mod.rs` are `a::b`; `src/lib.rs` and
//! `src/main.rs` are the crate root; `src/bin` is left out), and module A depends on module B when
//! A's code names a `crate::...` path into B: in a `use` (brace groups included) or inline, in
//! test modules too, but not in `//` comments. A path names the deepest module it passes through;
//! a module naming its own ancestor or descendant is not counted (that is the module tree itself).
//! A cycle in that graph fails the crate's test, which lists the modules on it and their edges
//! among themselves. `cargo test --test module_graph -- --nocapture` prints each acyclic crate's
//! size, as `../shared/tools/modcycles.py .` does.
//!
//! The root package's binary (`main.rs`, `cli.rs`) is checked with its library, `main.rs` as the
//! root. Uses only std.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};

/// The module that the crate root (`lib.rs`, `main.rs`) is.
const ROOT: &str = "crate";

/// The modules of one crate and which modules each one names.
#[derive(Debug)]
struct ModuleGraph {
    modules: BTreeSet<String>,
    /// `edges[a]`: the modules `a` names (never `a` itself, an ancestor or a descendant).
    edges: BTreeMap<String, BTreeSet<String>>,
}

impl ModuleGraph {
    /// The graph of the crate whose sources are under `src`.
    fn of_dir(src: &Path) -> Self {
        let mut files = Vec::new();
        rust_files(src, src, &mut files);
        let sources = files.into_iter().map(|(relative, path)| {
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
            (relative, text)
        });
        Self::of_sources(sources)
    }

    /// The graph of a crate given as (path relative to `src/`, text) pairs.
    fn of_sources(sources: impl IntoIterator<Item = (PathBuf, String)>) -> Self {
        // Every module's code, `lib.rs` and `main.rs` together as the root.
        let mut code: BTreeMap<String, String> = BTreeMap::new();
        for (relative, text) in sources {
            let text = strip_line_comments(&text);
            code.entry(module_of(&relative))
                .or_default()
                .push_str(&text);
        }
        let modules: BTreeSet<String> = code.keys().cloned().collect();
        let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (module, text) in &code {
            for path in crate_paths(text) {
                let Some(target) = named_module(&modules, &path) else {
                    continue;
                };
                let related = target == *module
                    || is_descendant(module, &target)
                    || is_descendant(&target, module);
                if !related {
                    edges.entry(module.clone()).or_default().insert(target);
                }
            }
        }
        Self { modules, edges }
    }

    fn edge_count(&self) -> usize {
        self.edges.values().map(BTreeSet::len).sum()
    }

    /// The strongly connected components of more than one module (Tarjan), each sorted, in
    /// order of their first module.
    fn cycles(&self) -> Vec<Vec<String>> {
        let mut tarjan = Tarjan {
            graph: self,
            next_index: 0,
            index: BTreeMap::new(),
            low: BTreeMap::new(),
            stack: Vec::new(),
            on_stack: BTreeSet::new(),
            components: Vec::new(),
        };
        for module in &self.modules {
            if !tarjan.index.contains_key(module.as_str()) {
                tarjan.visit(module);
            }
        }
        let mut cycles: Vec<Vec<String>> = tarjan
            .components
            .into_iter()
            .filter(|c| c.len() > 1)
            .map(|c| {
                let mut c: Vec<String> = c.into_iter().map(str::to_string).collect();
                c.sort();
                c
            })
            .collect();
        cycles.sort();
        cycles
    }

    /// What a failing test prints: the crate's size, then each cycle's modules and the edges
    /// between them.
    fn describe(&self, name: &str, cycles: &[Vec<String>]) -> String {
        let mut out = format!(
            "{name}: {} modules, {} edges, {} import cycle(s) between modules\n",
            self.modules.len(),
            self.edge_count(),
            cycles.len()
        );
        for cycle in cycles {
            let _ = writeln!(out, "cycle: {}", cycle.join(", "));
            for module in cycle {
                let inside: Vec<&str> = self.edges[module]
                    .iter()
                    .filter(|t| cycle.contains(t))
                    .map(String::as_str)
                    .collect();
                let _ = writeln!(out, "  {module} -> {}", inside.join(", "));
            }
        }
        out
    }
}

/// Tarjan's strongly connected components, recursive (module graphs are small).
struct Tarjan<'a> {
    graph: &'a ModuleGraph,
    next_index: usize,
    index: BTreeMap<&'a str, usize>,
    low: BTreeMap<&'a str, usize>,
    stack: Vec<&'a str>,
    on_stack: BTreeSet<&'a str>,
    components: Vec<Vec<&'a str>>,
}

impl<'a> Tarjan<'a> {
    fn visit(&mut self, v: &'a str) {
        self.index.insert(v, self.next_index);
        self.low.insert(v, self.next_index);
        self.next_index += 1;
        self.stack.push(v);
        self.on_stack.insert(v);
        for w in self.graph.edges.get(v).into_iter().flatten() {
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
            while let Some(w) = self.stack.pop() {
                self.on_stack.remove(w);
                component.push(w);
                if w == v {
                    break;
                }
            }
            self.components.push(component);
        }
    }
}

/// Every `.rs` file under `dir` (but not under `src/bin`), with its path relative to `src`.
fn rust_files(src: &Path, dir: &Path, out: &mut Vec<(PathBuf, PathBuf)>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("listing {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            if dir != src || path.file_name().is_some_and(|n| n != "bin") {
                rust_files(src, &path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path.strip_prefix(src).expect("under src").to_path_buf();
            out.push((relative, path));
        }
    }
}

/// The module a file is, from its path relative to `src/`: `a/b.rs` and `a/b/mod.rs` are
/// `a::b`; `lib.rs` and `main.rs` are the root.
fn module_of(relative: &Path) -> String {
    let mut parts: Vec<String> = relative
        .components()
        .filter_map(|c| match c {
            Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    if let Some(file) = parts.pop() {
        let stem = file.strip_suffix(".rs").unwrap_or(&file);
        let stands_for_folder = stem == "mod"
            || (parts.is_empty() && stem == "lib")
            || (parts.is_empty() && stem == "main");
        if !stands_for_folder {
            parts.push(stem.to_string());
        }
    }
    if parts.is_empty() {
        ROOT.to_string()
    } else {
        parts.join("::")
    }
}

/// `text` without `//` comments (doc comments included), each line cut at its first `//`.
fn strip_line_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        out.push_str(line.split_once("//").map_or(line, |(code, _)| code));
        out.push('\n');
    }
    out
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Every path that `text` names after `crate::` (or `$crate::`), as its segments; brace groups
/// are expanded (`crate::a::{b::C, d}` is `a::b::C` and `a::d`), `self` in a group is the
/// group's own path and a glob ends its path.
fn crate_paths(text: &str) -> Vec<Vec<String>> {
    let bytes = text.as_bytes();
    let mut paths = Vec::new();
    let mut from = 0;
    while let Some(found) = text[from..].find("crate::") {
        let start = from + found;
        from = start + "crate::".len();
        if start > 0 && is_ident_byte(bytes[start - 1]) {
            continue;
        }
        let mut pos = from;
        parse_tree(bytes, &mut pos, Vec::new(), &mut paths);
    }
    paths
}

fn skip_whitespace(bytes: &[u8], pos: &mut usize) {
    while *pos < bytes.len() && bytes[*pos].is_ascii_whitespace() {
        *pos += 1;
    }
}

/// Parses a use tree at `pos` below `prefix`, pushing every complete path into `out`.
fn parse_tree(bytes: &[u8], pos: &mut usize, mut prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    loop {
        skip_whitespace(bytes, pos);
        match bytes.get(*pos) {
            Some(b'{') => {
                *pos += 1;
                loop {
                    skip_whitespace(bytes, pos);
                    match bytes.get(*pos) {
                        Some(b'}') => {
                            *pos += 1;
                            break;
                        }
                        None => break,
                        _ => {}
                    }
                    let before = *pos;
                    parse_tree(bytes, pos, prefix.clone(), out);
                    // Whatever follows a tree up to its separator (`as name`) is no path.
                    while *pos < bytes.len() && !matches!(bytes[*pos], b',' | b'}') {
                        *pos += 1;
                    }
                    if bytes.get(*pos) == Some(&b',') {
                        *pos += 1;
                    }
                    if *pos == before {
                        break;
                    }
                }
                return;
            }
            Some(b'*') => {
                *pos += 1;
                break;
            }
            _ => {}
        }
        let start = *pos;
        while *pos < bytes.len() && is_ident_byte(bytes[*pos]) {
            *pos += 1;
        }
        let ident = std::str::from_utf8(&bytes[start..*pos]).expect("ASCII");
        if ident.is_empty() || ident == "self" {
            break;
        }
        prefix.push(ident.to_string());
        skip_whitespace(bytes, pos);
        if bytes[*pos..].starts_with(b"::") {
            *pos += 2;
        } else {
            break;
        }
    }
    if !prefix.is_empty() {
        out.push(prefix);
    }
}

/// The deepest module (not the root) that `path` passes through.
fn named_module(modules: &BTreeSet<String>, path: &[String]) -> Option<String> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].join("::"))
        .find(|candidate| modules.contains(candidate))
}

/// Whether module `a` lies inside module `b`.
fn is_descendant(a: &str, b: &str) -> bool {
    a.strip_prefix(b).is_some_and(|rest| rest.starts_with("::"))
}

/// Fails with the cycles of the crate at `dir` (relative to the workspace root).
fn assert_acyclic(dir: &str) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir).join("src");
    let graph = ModuleGraph::of_dir(&src);
    assert!(
        graph.modules.len() > 1,
        "{}: expected a crate's modules, found {:?}",
        src.display(),
        graph.modules
    );
    let cycles = graph.cycles();
    // The reference tool's summary line, shown with `--nocapture`.
    if cycles.is_empty() {
        println!(
            "{dir}: {} modules, {} edges, no cycle",
            graph.modules.len(),
            graph.edge_count()
        );
    }
    assert!(cycles.is_empty(), "{}", graph.describe(dir, &cycles));
}

#[test]
fn core_modules_are_acyclic() {
    assert_acyclic("crates/core");
}

#[test]
fn train_modules_are_acyclic() {
    assert_acyclic("crates/train");
}

#[test]
fn python_bindings_modules_are_acyclic() {
    assert_acyclic("crates/python");
}

#[test]
fn root_modules_are_acyclic() {
    assert_acyclic(".");
}

/// The detector itself, on small crates held in memory.
mod detector {
    use super::*;

    fn graph(files: &[(&str, &str)]) -> ModuleGraph {
        ModuleGraph::of_sources(
            files
                .iter()
                .map(|&(path, text)| (PathBuf::from(path), text.to_string())),
        )
    }

    /// A crate whose modules `a -> b::inner -> c -> a` form a cycle, named in every way the
    /// detector reads: a `use`, an inline path, a brace group, and a test module; `d` is named
    /// back only in comments and `b` only by its own child.
    const PLANTED: [(&str, &str); 6] = [
        ("lib.rs", "pub mod a;\npub mod b;\npub mod c;\npub mod d;\n"),
        ("a.rs", "use crate::b::inner::Thing;\nuse crate::d;\n"),
        ("b/mod.rs", "pub mod inner;\npub struct Shared;\n"),
        (
            "b/inner.rs",
            "use crate::b::Shared;\npub fn f() -> u32 { crate::c::g() }\n",
        ),
        (
            "c.rs",
            "pub fn g() -> u32 { 1 }\n#[cfg(test)]\nmod tests {\n    use crate::{\n        \
             d::E as F,\n        a::{self, *},\n    };\n}\n",
        ),
        (
            "d.rs",
            "//! See crate::a.\npub struct E; // crate::c::g is called elsewhere\n",
        ),
    ];

    #[test]
    fn finds_a_planted_cycle() {
        let g = graph(&PLANTED);
        assert_eq!(
            g.modules.iter().map(String::as_str).collect::<Vec<_>>(),
            ["a", "b", "b::inner", "c", "crate", "d"]
        );
        let edges: Vec<(&str, &str)> = g
            .edges
            .iter()
            .flat_map(|(a, bs)| bs.iter().map(move |b| (a.as_str(), b.as_str())))
            .collect();
        assert_eq!(
            edges,
            [
                ("a", "b::inner"),
                ("a", "d"),
                ("b::inner", "c"),
                ("c", "a"),
                ("c", "d")
            ]
        );
        assert_eq!(g.cycles(), [["a", "b::inner", "c"]]);
        let message = g.describe("planted", &g.cycles());
        assert!(message.contains("cycle: a, b::inner, c"), "{message}");
        assert!(message.contains("  c -> a\n"), "{message}");
    }

    #[test]
    fn finds_no_cycle_once_the_back_edge_is_gone() {
        let mut files = PLANTED;
        files[4].1 = "pub fn g() -> u32 { 1 }\n";
        assert!(graph(&files).cycles().is_empty());
    }

    #[test]
    fn reports_each_cycle_once() {
        let g = graph(&[
            ("main.rs", "mod p; mod q; mod x; mod y;\n"),
            ("p.rs", "use crate::q::A;"),
            ("q.rs", "use crate::p::B;"),
            ("x.rs", "fn f() { crate::y::h(); }"),
            ("y.rs", "fn h() { crate::x::f(); }"),
        ]);
        assert_eq!(g.cycles(), [["p", "q"], ["x", "y"]]);
    }

    #[test]
    fn files_map_to_modules() {
        assert_eq!(module_of(Path::new("lib.rs")), "crate");
        assert_eq!(module_of(Path::new("main.rs")), "crate");
        assert_eq!(module_of(Path::new("cli.rs")), "cli");
        assert_eq!(module_of(Path::new("trace/mod.rs")), "trace");
        assert_eq!(module_of(Path::new("trace/csv.rs")), "trace::csv");
        assert_eq!(
            module_of(Path::new("policy/drift/restore.rs")),
            "policy::drift::restore"
        );
        assert_eq!(module_of(Path::new("trace/main.rs")), "trace::main");
    }

    #[test]
    fn brace_groups_are_expanded() {
        let paths = crate_paths("pub(crate) use crate::{a::{b::C, d as e}, f, g::*};");
        let joined: Vec<String> = paths.iter().map(|p| p.join("::")).collect();
        assert_eq!(joined, ["a::b::C", "a::d", "f", "g"]);
    }

    #[test]
    fn only_paths_from_the_crate_count() {
        let paths = crate_paths("use my_crate::p::A; $crate::q::B; super::r; pub(crate) s::t;");
        assert_eq!(paths, [["q", "B"]]);
    }
}
